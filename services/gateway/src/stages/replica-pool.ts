/**
 * Client-side load balancing over the replicas of one stage: each call goes to the healthy
 * replica with the fewest outstanding calls; a call that fails UNAVAILABLE (replica gone,
 * draining), FAILED_PRECONDITION (its model still loading) or RESOURCE_EXHAUSTED with a retry
 * pushback (its queue full) is retried on another replica while attempts and the deadline allow.
 * A call whose replica died with it in flight is counted against the job (stage-crash.ts): the
 * second such crash makes the job poison, and it is not sent to another replica.
 * Health comes from grpc.health.v1 checks every interval; `dns:host:port` entries expand to
 * every address the name resolves to (Kubernetes headless Services), re-resolved each interval.
 */
import { lookup } from "node:dns/promises";
import * as grpc from "@grpc/grpc-js";
import { retryAfterOf, serviceError, statusOf } from "@pixellm/api";
import type { Logger } from "@pixellm/service-kit";
import { service as healthService } from "grpc-health-check";
import { POISON_CRASHES, isMidCallDrop, poisonMessage } from "./stage-crash";
import type { StageCallContext } from "./stage-clients";

const HealthClient = grpc.makeClientConstructor(healthService, "grpc.health.v1.Health");

/** A replica that failed UNAVAILABLE is skipped this long (unless nothing else is left). */
const COOLDOWN_MS = 2000;

/**
 * What a replica answers when it cannot take calls right now but another replica (or this one
 * shortly) can: UNAVAILABLE (gone, draining, overloaded) and FAILED_PRECONDITION, which a stage
 * answers only while its model is still loading (a restarted replica the pool fell back to).
 */
const REPLICA_NOT_READY: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.FAILED_PRECONDITION,
]);

export interface Replica<C> {
  readonly address: string;
  readonly client: C;
  readonly health: grpc.Client;
  outstanding: number;
  healthy: boolean;
  coolUntil: number;
}

export interface PoolOptions {
  readonly stage: string;
  /** Full service name whose health is checked, e.g. "pixellm.v1.VisionEncoder". */
  readonly serviceName: string;
  readonly healthIntervalMs: number;
  readonly attempts: number;
  readonly channelOptions: grpc.ChannelOptions;
  /** Of the health checks too (the stages' TLS, with the channel options' expected name). */
  readonly credentials: grpc.ChannelCredentials;
  readonly logger: Logger;
}

export class ReplicaPool<C extends grpc.Client> {
  private readonly replicas = new Map<string, Replica<C>>();
  private timer: NodeJS.Timeout | undefined;
  private turn = 0;

  constructor(
    private readonly specs: readonly string[],
    private readonly makeClient: (address: string, options: grpc.ChannelOptions) => C,
    private readonly options: PoolOptions,
  ) {}

  /** Resolves addresses and checks health once, then keeps doing so in the background. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.healthIntervalMs);
    this.timer.unref();
  }

  /** The replicas whose last health check said SERVING, with their clients. */
  healthy(): { address: string; client: C }[] {
    return [...this.replicas.values()]
      .filter((r) => r.healthy)
      .map((r) => ({ address: r.address, client: r.client }));
  }

  snapshot(): { address: string; outstanding: number; healthy: boolean }[] {
    return [...this.replicas.values()].map((r) => ({
      address: r.address,
      outstanding: r.outstanding,
      healthy: r.healthy,
    }));
  }

  /** Runs `call` on a replica (given its client and address), moving to another one when it is not ready. */
  async call<T>(run: (client: C, address: string) => Promise<T>, context: StageCallContext): Promise<T> {
    const tried = new Set<string>();
    // The last refusal of a replica that was only busy (its queue full), if any.
    let busy: Error | undefined;
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      if (context.signal.aborted) throw serviceError(grpc.status.CANCELLED, "the request was cancelled");
      if (Date.now() >= context.deadline)
        throw serviceError(
          grpc.status.DEADLINE_EXCEEDED,
          `the deadline passed before the ${this.options.stage} stage answered`,
        );
      const replica = this.pick(tried);
      if (!replica) break;
      tried.add(replica.address);
      replica.outstanding++;
      try {
        return await run(replica.client, replica.address);
      } catch (error) {
        if (error instanceof Error && retryAfterOf(error) !== undefined) {
          // Busy, not broken: it stays healthy, and another replica may have room.
          busy = error;
          continue;
        }
        const { code } = statusOf(error);
        if (!REPLICA_NOT_READY.has(code)) throw error;
        replica.healthy = false;
        replica.coolUntil = Date.now() + COOLDOWN_MS;
        if (isMidCallDrop(error) && context.recordCrash) {
          // A count that cannot be stored (Redis unreachable) must not fail the job: it is retried.
          const crashes = await context.recordCrash(this.options.stage).catch((reason: unknown) => {
            this.options.logger.warn("stage crash not counted", {
              stage: this.options.stage,
              reason: (reason as Error).message,
            });
            return 0;
          });
          this.options.logger.warn("stage replica died with the call in flight", {
            stage: this.options.stage,
            replica: replica.address,
            crashes,
          });
          if (crashes >= POISON_CRASHES)
            throw serviceError(grpc.status.INTERNAL, poisonMessage(this.options.stage));
        }
        this.options.logger.warn("stage replica unavailable; trying another", {
          stage: this.options.stage,
          replica: replica.address,
          attempt,
        });
      } finally {
        replica.outstanding--;
      }
    }
    // A busy replica's refusal says when to come back (waitingWhileBusy waits for it); every
    // replica not ready (other failures were thrown as they came) is retryable as a whole, so
    // the job runs again once one is.
    if (busy !== undefined) throw busy;
    throw serviceError(
      grpc.status.UNAVAILABLE,
      `no ${this.options.stage} replica could take the request (${this.replicas.size} known, ${tried.size} tried)`,
    );
  }

  close(): void {
    clearInterval(this.timer);
    for (const replica of this.replicas.values()) this.closeReplica(replica);
    this.replicas.clear();
  }

  /**
   * Healthy and not cooling down, fewest outstanding; ties rotate. Falls back to untried ones not
   * cooling down, then to any untried one: a cool-down only prefers other replicas, and a call
   * that found every replica cooling (a restart of one while the other had one failure) must not
   * fail without trying any.
   */
  private pick(tried: ReadonlySet<string>): Replica<C> | undefined {
    const now = Date.now();
    const untried = [...this.replicas.values()].filter((r) => !tried.has(r.address));
    const ready = untried.filter((r) => r.healthy && r.coolUntil <= now);
    const cooled = untried.filter((r) => r.coolUntil <= now);
    const pool = ready.length > 0 ? ready : cooled.length > 0 ? cooled : untried;
    if (pool.length === 0) return undefined;
    const least = Math.min(...pool.map((r) => r.outstanding));
    const candidates = pool.filter((r) => r.outstanding === least);
    return candidates[this.turn++ % candidates.length];
  }

  private async refresh(): Promise<void> {
    const addresses = new Set(await this.resolve());
    for (const [address, replica] of this.replicas) {
      if (!addresses.has(address)) {
        this.closeReplica(replica);
        this.replicas.delete(address);
      }
    }
    for (const address of addresses) {
      if (!this.replicas.has(address)) {
        this.replicas.set(address, {
          address,
          client: this.makeClient(address, this.options.channelOptions),
          health: new HealthClient(address, this.options.credentials, this.options.channelOptions),
          outstanding: 0,
          healthy: false,
          coolUntil: 0,
        });
      }
    }
    await Promise.all([...this.replicas.values()].map((r) => this.checkHealth(r)));
  }

  private async resolve(): Promise<string[]> {
    const out: string[] = [];
    for (const spec of this.specs) {
      if (!spec.startsWith("dns:")) {
        out.push(spec);
        continue;
      }
      const target = spec.slice(4);
      const colon = target.lastIndexOf(":");
      const host = target.slice(0, colon);
      const port = target.slice(colon + 1);
      try {
        const found = await lookup(host, { all: true });
        out.push(...found.map((a) => (a.family === 6 ? `[${a.address}]:${port}` : `${a.address}:${port}`)));
      } catch (error) {
        this.options.logger.warn("stage address did not resolve", {
          stage: this.options.stage,
          host,
          reason: (error as Error).message,
        });
      }
    }
    return out;
  }

  private checkHealth(replica: Replica<C>): Promise<void> {
    return new Promise((resolve) => {
      const deadline = Date.now() + Math.max(500, this.options.healthIntervalMs);
      (replica.health as unknown as HealthCheck).Check(
        { service: this.options.serviceName },
        { deadline },
        (error, response) => {
          const healthy = !error && response?.status === "SERVING";
          if (healthy !== replica.healthy)
            this.options.logger.info(healthy ? "stage replica healthy" : "stage replica not serving", {
              stage: this.options.stage,
              replica: replica.address,
            });
          replica.healthy = healthy;
          resolve();
        },
      );
    });
  }

  private closeReplica(replica: Replica<C>): void {
    replica.client.close();
    replica.health.close();
  }
}

interface HealthCheck {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: string | number }) => void,
  ): void;
}

/**
 * The chaos script: every few seconds (a seeded random interval) it kill -9s one random process
 * of the deployment, Redis included, and restarts it after a short delay the way
 * Kubernetes restarts a crashed container: start again, and if it dies before it is ready
 * (e.g. a gateway that cannot reach a Redis that is itself restarting), back off and start again.
 */
import type { Rng } from "@pixellm/synth";

/** Something the monkey may kill: a service process or Redis. */
export interface Victim {
  readonly name: string;
  /** Counted per kind in the report: gateway, vision-encoder, llm, pixel-decoder, redis. */
  readonly kind: string;
  /** kill -9, resolving once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again, resolving once it is ready (rejects when it dies first). */
  start(): Promise<void>;
}

export interface ChaosOptions {
  readonly intervalMs: { readonly min: number; readonly max: number };
  /** How long a killed process stays down before its restart (the kubelet's delay). */
  readonly restartDelayMs: number;
  /** Restart attempts before the monkey gives up on a process (and reports it). */
  readonly maxStartAttempts: number;
}

export interface ChaosEvent {
  readonly atMs: number;
  readonly victim: string;
  readonly action: "killed" | "restarted" | "restart failed" | "skipped (still down)";
  readonly detail?: string;
}

export class ChaosMonkey {
  readonly events: ChaosEvent[] = [];
  private readonly down = new Set<string>();
  private readonly restarts = new Set<Promise<void>>();
  private stopped = false;
  /** Kinds still to be hit in this round. */
  private round: string[] = [];
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private readonly started = Date.now();

  constructor(
    private readonly victims: readonly Victim[],
    private readonly rng: Rng,
    private readonly options: ChaosOptions,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Stops killing and waits until every killed process is back (or given up on). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    while (this.restarts.size > 0) await Promise.all([...this.restarts]);
  }

  /** Kills per kind (every kind listed, zeros included). */
  killsByKind(): Record<string, number> {
    const kills: Record<string, number> = {};
    for (const victim of this.victims) kills[victim.kind] = 0;
    for (const event of this.events)
      if (event.action === "killed") {
        const kind = this.victims.find((v) => v.name === event.victim)!.kind;
        kills[kind] = kills[kind]! + 1;
      }
    return kills;
  }

  /** Processes that never came back. */
  get lost(): string[] {
    return [...this.down];
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const { min, max } = this.options.intervalMs;
      await this.sleep(this.rng.range(min, max));
      if (this.stopped) return;
      // Kind first, then one of that kind: kinds come in shuffled rounds, so every kind — Redis
      // (one process) as much as the gateways or a stage — is hit once in each round of kills.
      // The draw ignores what is down, so a seed names one schedule; a victim that is still
      // restarting when its turn comes is skipped.
      if (this.round.length === 0) this.round = this.shuffledKinds();
      const kind = this.round.pop()!;
      const victim = this.rng.pick(this.victims.filter((v) => v.kind === kind));
      if (this.down.has(victim.name)) {
        this.record(victim, "skipped (still down)");
        continue;
      }
      this.down.add(victim.name);
      await victim.kill();
      this.record(victim, "killed");
      const restart = this.restart(victim);
      this.restarts.add(restart);
      void restart.finally(() => this.restarts.delete(restart));
    }
  }

  /** Every kind once, in a seeded random order (Fisher–Yates). */
  private shuffledKinds(): string[] {
    const kinds = [...new Set(this.victims.map((v) => v.kind))];
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    return kinds;
  }

  private async restart(victim: Victim): Promise<void> {
    for (let attempt = 1; attempt <= this.options.maxStartAttempts; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, this.options.restartDelayMs * attempt));
      try {
        await victim.start();
        this.down.delete(victim.name);
        this.record(victim, "restarted", attempt > 1 ? `attempt ${attempt}` : undefined);
        return;
      } catch (error) {
        this.record(victim, "restart failed", (error as Error).message);
      }
    }
  }

  private record(victim: Victim, action: ChaosEvent["action"], detail?: string): void {
    this.events.push({
      atMs: Date.now() - this.started,
      victim: victim.name,
      action,
      ...(detail ? { detail } : {}),
    });
  }

  /** Waits `ms`, or less when `stop` is called. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

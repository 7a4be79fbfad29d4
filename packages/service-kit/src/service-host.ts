/**
 * A gRPC server as every PixelLM service runs it: per-method request limits checked before
 * decoding (request-limits.ts), bounded connections and streams, grpc.health.v1
 * (NOT_SERVING until the model is loaded and warmed up, and again while draining), server
 * reflection, and graceful shutdown — stop being ready, finish what was accepted, then close.
 *
 * Health names: "" and each service's full name report readiness; "liveness" is SERVING from
 * start to exit, so a draining or loading replica is not restarted by its liveness probe.
 *
 * With TLS on, probes that cannot speak TLS (Kubernetes' gRPC probes) use `healthPort`: the same
 * health statuses in plaintext, and nothing else.
 */
import * as grpc from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { packageDefinition } from "@pixellm/api";
import { type CallLimit, callLimitInterceptor } from "./call-limit";
import type { Logger } from "./logger";
import { type RequestLimits, limitRequests, refuseRequestsInterceptor } from "./request-limits";
import { type ServerTls, serverCredentials } from "./transport-security";

export const LIVENESS = "liveness";

export interface ServiceBinding {
  /** Full name, e.g. "pixellm.v1.VisionEncoder". */
  readonly name: string;
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
  /** Checked per call before decoding; undefined (e.g. while a stage loads): the server's limit only. */
  readonly requestLimits?: () => RequestLimits | undefined;
}

/** What one client connection may hold (processSettings; see docs/limits.md). */
export interface ConnectionLimits {
  readonly maxConcurrentStreams: number;
  readonly maxSessionMemoryMb: number;
  readonly keepaliveTimeMs: number;
  readonly maxConnectionIdleMs: number;
  /** 0: connections are never aged out. */
  readonly maxConnectionAgeMs: number;
  /** How long an aged-out connection's calls may run on. */
  readonly shutdownGraceMs: number;
}

/** A peer that does not answer a keepalive ping this long is gone: its connection is closed. */
const KEEPALIVE_TIMEOUT_MS = 20_000;

export interface HostOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly services: readonly ServiceBinding[];
  /** Largest message sent, and received unless `maxReceiveBytes` says less. */
  readonly maxMessageBytes: number;
  /** Largest message received by any method, refused from its length prefix before it is buffered. */
  readonly maxReceiveBytes?: number;
  readonly connections: ConnectionLimits;
  /** A bound on the calls the server runs at once, over all connections. */
  readonly callLimit?: CallLimit;
  /**
   * More interceptors (e.g. an API-key check), run after the request-limit refusal and before
   * the call limit: a call they refuse never holds a call slot.
   */
  readonly interceptors?: readonly grpc.ServerInterceptor[];
  readonly logger: Logger;
  /** TLS (and mutual TLS with a client CA); plaintext when absent. */
  readonly tls?: ServerTls | undefined;
  /** A plaintext port serving grpc.health.v1 only (probes); absent: none. */
  readonly healthPort?: number | undefined;
}

export class ServiceHost {
  private readonly health: HealthImplementation;

  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
    private readonly names: readonly string[],
    private readonly logger: Logger,
    private readonly probes: grpc.Server | undefined,
  ) {
    this.health = new HealthImplementation({
      "": "NOT_SERVING",
      [LIVENESS]: "SERVING",
      ...Object.fromEntries(names.map((n) => [n, "NOT_SERVING"])),
    });
    this.health.addToServer(server);
    if (probes) this.health.addToServer(probes);
  }

  static async start(options: HostOptions): Promise<ServiceHost> {
    const server = new grpc.Server(serverOptions(options));
    for (const service of options.services) {
      const limits = service.requestLimits ?? (() => undefined);
      server.addService(limitRequests(service.definition, limits), service.implementation);
    }
    const names = options.services.map((s) => s.name);
    // Reflection lists only what this server serves (the package defines every stage's service).
    new ReflectionService(packageDefinition(), { services: names }).addToServer(server);
    const port = await bind(server, `${options.host}:${options.port}`, options.tls);
    options.logger.info("listening", { port, services: names.join(",") });
    const probes = options.healthPort === undefined ? undefined : new grpc.Server();
    const host = new ServiceHost(server, port, names, options.logger, probes);
    if (probes) {
      const healthPort = await bind(probes, `${options.host}:${options.healthPort}`, undefined).catch(
        (error: unknown) => {
          server.forceShutdown(); // the caller may retry in this process
          throw error;
        },
      );
      options.logger.info("health port listening", { port: healthPort });
    }
    return host;
  }

  /** Readiness: SERVING once the model is warm, NOT_SERVING while loading or draining. */
  setReady(ready: boolean): void {
    const status = ready ? "SERVING" : "NOT_SERVING";
    this.health.setStatus("", status);
    for (const name of this.names) this.health.setStatus(name, status);
    this.logger.info(ready ? "ready" : "not ready");
  }

  /**
   * Graceful shutdown: not ready at once, `drain()` finishes accepted work, then the server
   * closes; calls still open after `graceMs` are cut.
   */
  async shutdown(drain: () => Promise<void>, graceMs: number): Promise<void> {
    this.setReady(false);
    const timeout = new Promise<"timeout">((resolve) =>
      setTimeout(() => resolve("timeout"), graceMs).unref(),
    );
    const drained = await Promise.race([drain().then(() => "drained" as const), timeout]);
    const closed = await Promise.race([
      new Promise<"closed">((resolve) => this.server.tryShutdown(() => resolve("closed"))),
      timeout,
    ]);
    if (drained === "timeout" || closed === "timeout") {
      this.logger.warn("shutdown grace period over; cutting open calls", { graceMs });
      this.server.forceShutdown();
    }
    this.probes?.forceShutdown();
    this.logger.info("stopped");
  }
}

/** grpc-js options: message limits, connection bounds and the interceptors, in the order they run. */
function serverOptions(options: HostOptions): grpc.ServerOptions {
  const c = options.connections;
  return {
    "grpc.max_receive_message_length": Math.min(options.maxReceiveBytes ?? Infinity, options.maxMessageBytes),
    "grpc.max_send_message_length": options.maxMessageBytes,
    "grpc.max_concurrent_streams": c.maxConcurrentStreams,
    "grpc-node.max_session_memory": c.maxSessionMemoryMb,
    "grpc.keepalive_time_ms": c.keepaliveTimeMs,
    "grpc.keepalive_timeout_ms": KEEPALIVE_TIMEOUT_MS,
    "grpc.max_connection_idle_ms": c.maxConnectionIdleMs,
    ...(c.maxConnectionAgeMs > 0
      ? {
          "grpc.max_connection_age_ms": c.maxConnectionAgeMs,
          "grpc.max_connection_age_grace_ms": c.shutdownGraceMs,
        }
      : {}),
    interceptors: [
      refuseRequestsInterceptor,
      ...(options.interceptors ?? []),
      ...(options.callLimit ? [callLimitInterceptor(options.callLimit)] : []),
    ],
  };
}

/** Binds `server` to `address` (TLS with `tls`, plaintext without) and resolves to its port. */
function bind(server: grpc.Server, address: string, tls: ServerTls | undefined): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(address, serverCredentials(tls), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
}

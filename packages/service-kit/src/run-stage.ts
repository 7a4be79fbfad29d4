/**
 * The life of a stage process: listen (NOT_SERVING), load and warm up the model, report
 * SERVING, and on SIGTERM/SIGINT drain and exit. Load failures exit non-zero with the reason.
 */
import { type ServiceError, status } from "@grpc/grpc-js";
import type * as grpc from "@grpc/grpc-js";
import { serviceError } from "@pixellm/api";
import { ConfigError } from "./config";
import { type LogLevel, type Logger, createLogger } from "./logger";
import type { RequestLimits } from "./request-limits";
import { type ConnectionLimits, ServiceHost } from "./service-host";
import { shutdownTelemetry } from "./telemetry/lifecycle";
import { recordModelLoad } from "./telemetry/stage-telemetry";
import type { ServerTls } from "./transport-security";

export interface LoadedStage {
  readonly implementation: grpc.UntypedServiceImplementation;
  /** Finishes accepted work (batcher / scheduler drain). */
  readonly drain: () => Promise<void>;
  /** Releases model sessions after draining. */
  readonly close: () => Promise<void>;
  /** Part of the load spent on the warm-up request (0 without one). */
  readonly warmUpMs: number;
  /** Per-method request limits sized from the bundle (see stage-request-limits.ts). */
  readonly requestLimits?: RequestLimits;
}

export interface StageProcess {
  readonly service: string;
  readonly serviceName: string;
  readonly definition: grpc.ServiceDefinition;
  readonly host: string;
  readonly port: number;
  readonly maxMessageBytes: number;
  readonly connections: ConnectionLimits;
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
  /** TLS, or mutual TLS with a client CA; plaintext when absent. */
  readonly tls?: ServerTls | undefined;
  /** Plaintext health-only port for probes (see ServiceHost); absent: none. */
  readonly healthPort?: number | undefined;
  readonly load: (logger: Logger) => Promise<LoadedStage>;
}

export interface StartHooks {
  /** Called once the port is bound, before the model loads (tests probe the loading state). */
  readonly onListening?: (port: number) => void;
}

export interface RunningStage {
  readonly port: number;
  readonly logger: Logger;
  stop(): Promise<void>;
}

/** Starts a stage; the returned handle stops it (tests), and signals stop it in production. */
export async function startStage(stage: StageProcess, hooks: StartHooks = {}): Promise<RunningStage> {
  const logger = createLogger({ service: stage.service, level: stage.logLevel });
  // Handlers are bound after the model loads; until then calls fail FAILED_PRECONDITION.
  const loadedHandlers: { implementation?: grpc.UntypedServiceImplementation; limits?: RequestLimits } = {};
  const gated = Object.fromEntries(
    Object.keys(stage.definition).map((method) => [
      method,
      (call: grpc.ServerWritableStream<unknown, unknown>, callback?: (error: ServiceError) => void) => {
        const handler = loadedHandlers.implementation?.[method] as
          ((...args: unknown[]) => unknown) | undefined;
        if (handler) return handler(call, callback);
        const error = serviceError(status.FAILED_PRECONDITION, "the model is still loading; retry shortly");
        if (callback) callback(error);
        else call.emit("error", error); // a stream's status comes from "error" (destroy() drops it)
        return undefined;
      },
    ]),
  );
  const host = await ServiceHost.start({
    host: stage.host,
    port: stage.port,
    services: [
      {
        name: stage.serviceName,
        definition: stage.definition,
        implementation: gated,
        requestLimits: () => loadedHandlers.limits,
      },
    ],
    maxMessageBytes: stage.maxMessageBytes,
    connections: stage.connections,
    logger,
    tls: stage.tls,
    healthPort: stage.healthPort,
  });
  hooks.onListening?.(host.port);
  const started = performance.now();
  // A failed load must not leave the port bound (the caller may retry in this process).
  const loaded = await stage.load(logger).catch(async (error: unknown) => {
    await host.shutdown(() => Promise.resolve(), stage.shutdownGraceMs);
    throw error;
  });
  loadedHandlers.limits = loaded.requestLimits;
  loadedHandlers.implementation = loaded.implementation;
  const loadMs = performance.now() - started;
  recordModelLoad(stage.service, loadMs - loaded.warmUpMs, loaded.warmUpMs);
  logger.info("model loaded and warm", { loadMs: Math.round(loadMs), warmUpMs: Math.round(loaded.warmUpMs) });
  host.setReady(true);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= host.shutdown(loaded.drain, stage.shutdownGraceMs).then(() => loaded.close()));
  return { port: host.port, logger, stop };
}

/** `main` of a stage service: start, stop on signals, exit 2 on configuration errors. */
export async function runStageMain(build: () => StageProcess): Promise<void> {
  await runServiceMain(() => startStage(build()));
}

/**
 * `main` of any service: start it, drain, flush telemetry and exit 0 on SIGTERM/SIGINT; a
 * configuration error exits 2 with its message, a failed start exits 1 with its reason.
 */
export async function runServiceMain(
  start: () => Promise<{ readonly logger: Logger; stop(): Promise<void> }>,
): Promise<void> {
  let running: { readonly logger: Logger; stop(): Promise<void> };
  try {
    running = await start();
  } catch (error) {
    console.error(
      error instanceof ConfigError ? error.message : `failed to start: ${(error as Error).message}`,
    );
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      running.logger.info("draining", { signal });
      void running
        .stop()
        .then(shutdownTelemetry)
        .then(() => process.exit(0));
    });
  }
}

/**
 * The runtime the dynamically batched stages (vision-encoder, pixel-decoder) share, whether a
 * gRPC service or the embedded mode serves them: a DynamicBatcher over the stage's batch
 * function (a worker thread's), its telemetry, and the stage's lifecycle.
 */
import type * as grpc from "@grpc/grpc-js";
import { type BatchExecutor, type BatcherStats, DynamicBatcher, type ItemContext } from "./dynamic-batcher";
import type { RequestLimits } from "./request-limits";
import type { LoadedStage, StageProcess } from "./run-stage";
import type { ConnectionLimits } from "./service-host";
import { type BatchingConfig, connectionLimits } from "./stage-settings";
import { type StageTelemetry, stageTelemetry } from "./telemetry/stage-telemetry";
import { type ServerTlsConfig, serverTlsOf } from "./transport-security";

interface StageModel {
  /** Part of the load spent warming up. */
  readonly warmUpMs: number;
  close(): Promise<void>;
}

/** What a batched runtime runs: the stage's batch function, a warm-up item, and the stage's release. */
export interface BatchedStageModel<I, R> {
  readonly execute: BatchExecutor<I, R>;
  /** Run once before serving when the stage warms up; its failure fails the start. */
  readonly warmUpItem: () => I;
  readonly close: () => Promise<void>;
}

export class BatchedRuntime<I, R> {
  private readonly batcher: DynamicBatcher<I, R>;
  private readonly telemetry: StageTelemetry;

  private constructor(
    stage: string,
    config: BatchingConfig,
    private readonly model: StageModel,
    execute: BatchExecutor<I, R>,
  ) {
    this.telemetry = stageTelemetry(stage, () => this.batcher.stats());
    this.batcher = new DynamicBatcher<I, R>(
      { maxBatchSize: config.maxBatchSize, maxDelayMs: config.maxBatchDelayMs, maxQueue: config.maxQueue },
      execute,
      this.telemetry.onBatch,
    );
  }

  /** Warms the stage up (when configured) and starts its batcher; a failed start releases the stage. */
  static async start<I, R>(
    stage: string,
    config: BatchingConfig & { readonly warmUp: boolean },
    model: BatchedStageModel<I, R>,
  ): Promise<BatchedRuntime<I, R>> {
    const started = performance.now();
    if (config.warmUp) {
      const [outcome] = await model.execute([model.warmUpItem()]);
      if (outcome instanceof Error) {
        await model.close();
        throw outcome;
      }
    }
    const warmUpMs = performance.now() - started;
    return new BatchedRuntime(stage, config, { warmUpMs, close: model.close }, model.execute);
  }

  get warmUpMs(): number {
    return this.model.warmUpMs;
  }

  submit(item: I, context: ItemContext = {}): Promise<R> {
    return this.batcher.submit(item, context);
  }

  stats(): BatcherStats {
    return this.batcher.stats();
  }

  /** Finishes accepted work and refuses new work. */
  drain(): Promise<void> {
    return this.batcher.drain();
  }

  /** After draining: stops the telemetry and releases the model. */
  close(): Promise<void> {
    this.telemetry.close();
    return this.model.close();
  }
}

/** A batched runtime served over gRPC by `handlers`, its requests held to `requestLimits`. */
export function batchedStage<I, R>(
  runtime: BatchedRuntime<I, R>,
  handlers: grpc.UntypedServiceImplementation,
  requestLimits?: RequestLimits,
): LoadedStage {
  return {
    implementation: handlers,
    ...(requestLimits ? { requestLimits } : {}),
    drain: () => runtime.drain(),
    close: () => runtime.close(),
    warmUpMs: runtime.warmUpMs,
  };
}

/** The server settings every stage takes from its configuration (see stageSettings). */
export type StageServerSettings = Pick<
  StageProcess,
  "host" | "port" | "maxMessageBytes" | "shutdownGraceMs" | "logLevel" | "tls" | "healthPort"
>;

export function serverSettings(
  config: Omit<StageServerSettings, "tls" | "healthPort"> &
    ConnectionLimits &
    ServerTlsConfig & { readonly healthPort: number },
): StageServerSettings & { readonly connections: ConnectionLimits } {
  return {
    host: config.host,
    port: config.port,
    maxMessageBytes: config.maxMessageBytes,
    connections: connectionLimits(config),
    shutdownGraceMs: config.shutdownGraceMs,
    logLevel: config.logLevel,
    tls: serverTlsOf(config),
    healthPort: config.healthPort > 0 ? config.healthPort : undefined,
  };
}

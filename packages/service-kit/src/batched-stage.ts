/**
 * The runtime the dynamically batched stages (vision-encoder, pixel-decoder) share, whether a
 * gRPC service or the embedded mode serves them: a DynamicBatcher over the stage's batch
 * function (a worker thread's), its telemetry, and the stage's lifecycle.
 */
import type * as grpc from "@grpc/grpc-js";
import { type BatchExecutor, type BatcherStats, DynamicBatcher, type ItemContext } from "./dynamic-batcher";
import type { LoadedStage, StageProcess } from "./run-stage";
import type { BatchingConfig } from "./stage-settings";
import { type StageTelemetry, stageTelemetry } from "./telemetry/stage-telemetry";

export interface StageModel {
  /** Part of the load spent warming up. */
  readonly warmUpMs: number;
  close(): Promise<void>;
}

export class BatchedRuntime<I, R> {
  private readonly batcher: DynamicBatcher<I, R>;
  private readonly telemetry: StageTelemetry;

  constructor(
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

/** A batched runtime served over gRPC by `handlers`. */
export function batchedStage<I, R>(
  runtime: BatchedRuntime<I, R>,
  handlers: grpc.UntypedServiceImplementation,
): LoadedStage {
  return {
    implementation: handlers,
    drain: () => runtime.drain(),
    close: () => runtime.close(),
    warmUpMs: runtime.warmUpMs,
  };
}

/** The server settings every stage takes from its configuration (see stageSettings). */
export type StageServerSettings = Pick<
  StageProcess,
  "host" | "port" | "maxMessageBytes" | "shutdownGraceMs" | "logLevel"
>;

export function serverSettings(config: StageServerSettings): StageServerSettings {
  return {
    host: config.host,
    port: config.port,
    maxMessageBytes: config.maxMessageBytes,
    shutdownGraceMs: config.shutdownGraceMs,
    logLevel: config.logLevel,
  };
}

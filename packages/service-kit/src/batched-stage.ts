/**
 * The wiring the dynamically batched stages (vision-encoder, pixel-decoder) share: a
 * DynamicBatcher over the model's batch function, its telemetry, and the stage's lifecycle.
 */
import type * as grpc from "@grpc/grpc-js";
import { type BatchExecutor, DynamicBatcher } from "./dynamic-batcher";
import type { LoadedStage, StageProcess } from "./run-stage";
import type { BatchingConfig } from "./stage-settings";
import { stageTelemetry } from "./telemetry/stage-telemetry";

export interface StageModel {
  /** Part of the load spent warming up. */
  readonly warmUpMs: number;
  close(): Promise<void>;
}

export function batchedStage<I, R>(
  stage: string,
  config: BatchingConfig,
  model: StageModel,
  execute: BatchExecutor<I, R>,
  handlers: (batcher: DynamicBatcher<I, R>) => grpc.UntypedServiceImplementation,
): LoadedStage {
  const telemetry = stageTelemetry(stage, () => batcher.stats());
  const batcher = new DynamicBatcher<I, R>(
    { maxBatchSize: config.maxBatchSize, maxDelayMs: config.maxBatchDelayMs, maxQueue: config.maxQueue },
    execute,
    telemetry.onBatch,
  );
  return {
    implementation: handlers(batcher),
    drain: () => batcher.drain(),
    close: () => {
      telemetry.close();
      return model.close();
    },
    warmUpMs: model.warmUpMs,
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

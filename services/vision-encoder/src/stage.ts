/** The VisionEncoder stage process: model, batcher and handlers wired together. */
import { services } from "@pixellm/api";
import { DynamicBatcher, type StageProcess, stageTelemetry } from "@pixellm/service-kit";
import type { VisionInput, VisionOutput } from "@pixellm/engine";
import type { VisionConfig } from "./config";
import { loadVisionModel } from "./model";
import { visionHandlers } from "./server";

export function visionStage(config: VisionConfig): StageProcess {
  return {
    service: "vision-encoder",
    serviceName: "pixellm.v1.VisionEncoder",
    definition: services().VisionEncoder.service,
    host: config.host,
    port: config.port,
    maxMessageBytes: config.maxMessageBytes,
    shutdownGraceMs: config.shutdownGraceMs,
    logLevel: config.logLevel,
    load: async (logger) => {
      const model = await loadVisionModel(config, logger);
      const telemetry = stageTelemetry("vision-encoder", () => batcher.stats());
      const batcher = new DynamicBatcher<VisionInput, VisionOutput>(
        { maxBatchSize: config.maxBatchSize, maxDelayMs: config.maxBatchDelayMs, maxQueue: config.maxQueue },
        (items) => model.stage.encode(items),
        telemetry.onBatch,
      );
      return {
        implementation: visionHandlers(model, batcher, config),
        drain: () => batcher.drain(),
        close: () => {
          telemetry.close();
          return model.close();
        },
        warmUpMs: model.warmUpMs,
      };
    },
  };
}

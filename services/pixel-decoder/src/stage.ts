/** The PixelDecoder stage process: model, batcher and handlers wired together. */
import { services } from "@pixellm/api";
import type { DecodeInput, DecodeOutput } from "@pixellm/engine";
import { DynamicBatcher, type StageProcess, stageTelemetry } from "@pixellm/service-kit";
import type { DecoderConfig } from "./config";
import { loadDecoderModel } from "./model";
import { decoderHandlers } from "./server";

export function decoderStage(config: DecoderConfig): StageProcess {
  return {
    service: "pixel-decoder",
    serviceName: "pixellm.v1.PixelDecoder",
    definition: services().PixelDecoder.service,
    host: config.host,
    port: config.port,
    maxMessageBytes: config.maxMessageBytes,
    shutdownGraceMs: config.shutdownGraceMs,
    logLevel: config.logLevel,
    load: async (logger) => {
      const model = await loadDecoderModel(config, logger);
      const telemetry = stageTelemetry("pixel-decoder", () => batcher.stats());
      const batcher = new DynamicBatcher<DecodeInput, DecodeOutput>(
        { maxBatchSize: config.maxBatchSize, maxDelayMs: config.maxBatchDelayMs, maxQueue: config.maxQueue },
        (items) => model.stage.decode(items),
        telemetry.onBatch,
      );
      return {
        implementation: decoderHandlers(model, batcher, config),
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

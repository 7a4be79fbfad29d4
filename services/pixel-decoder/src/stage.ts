/** The PixelDecoder stage process: model, batcher and handlers wired together. */
import { services } from "@pixellm/api";
import type { DecodeInput, DecodeOutput } from "@pixellm/engine";
import { type StageProcess, batchedStage, serverSettings } from "@pixellm/service-kit";
import type { DecoderConfig } from "./config";
import { loadDecoderModel } from "./model";
import { decoderHandlers } from "./server";

export function decoderStage(config: DecoderConfig): StageProcess {
  return {
    service: "pixel-decoder",
    serviceName: "pixellm.v1.PixelDecoder",
    definition: services().PixelDecoder.service,
    ...serverSettings(config),
    load: async (logger) => {
      const model = await loadDecoderModel(config, logger);
      return batchedStage<DecodeInput, DecodeOutput>(
        "pixel-decoder",
        config,
        model,
        (items) => model.stage.decode(items),
        (batcher) => decoderHandlers(model, batcher, config),
      );
    },
  };
}

/** The VisionEncoder stage process: model, batcher and handlers wired together. */
import { services } from "@pixellm/api";
import type { VisionInput, VisionOutput } from "@pixellm/engine";
import { type StageProcess, batchedStage, serverSettings } from "@pixellm/service-kit";
import type { VisionConfig } from "./config";
import { loadVisionModel } from "./model";
import { visionHandlers } from "./server";

export function visionStage(config: VisionConfig): StageProcess {
  return {
    service: "vision-encoder",
    serviceName: "pixellm.v1.VisionEncoder",
    definition: services().VisionEncoder.service,
    ...serverSettings(config),
    load: async (logger) => {
      const model = await loadVisionModel(config, logger);
      return batchedStage<VisionInput, VisionOutput>(
        "vision-encoder",
        config,
        model,
        (items) => model.stage.encode(items),
        (batcher) => visionHandlers(model, batcher, config),
      );
    },
  };
}

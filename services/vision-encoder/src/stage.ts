/** The VisionEncoder stage process: bundle, worker, runtime and handlers wired together. */
import { services } from "@pixellm/api";
import { loadBundle } from "@pixellm/bundle";
import { VisionWorker } from "@pixellm/engine";
import {
  type StageProcess,
  batchedStage,
  serverSettings,
  stageRequestLimits,
  stageWorkerOptions,
} from "@pixellm/service-kit";
import type { VisionConfig } from "./config";
import { visionRuntime } from "./runtime";
import { visionHandlers } from "./server";

export function visionStage(config: VisionConfig): StageProcess {
  return {
    service: "vision-encoder",
    serviceName: "pixellm.v1.VisionEncoder",
    definition: services().VisionEncoder.service,
    ...serverSettings(config),
    load: async (logger) => {
      const bundle = await loadBundle(config.bundle, config.verify);
      const worker = await VisionWorker.start(stageWorkerOptions(config, logger));
      const runtime = await visionRuntime(config, bundle, worker);
      return batchedStage(
        runtime.batches,
        visionHandlers(runtime, config),
        stageRequestLimits(bundle.manifest).vision,
      );
    },
  };
}

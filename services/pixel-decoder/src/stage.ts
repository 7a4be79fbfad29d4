/** The PixelDecoder stage process: bundle, worker, runtime and handlers wired together. */
import { services } from "@pixellm/api";
import { loadBundle } from "@pixellm/bundle";
import { DecoderWorker } from "@pixellm/engine";
import {
  type StageProcess,
  batchedStage,
  serverSettings,
  stageRequestLimits,
  stageWorkerOptions,
} from "@pixellm/service-kit";
import type { DecoderConfig } from "./config";
import { decoderRuntime } from "./runtime";
import { decoderHandlers } from "./server";

export function decoderStage(config: DecoderConfig): StageProcess {
  return {
    service: "pixel-decoder",
    serviceName: "pixellm.v1.PixelDecoder",
    definition: services().PixelDecoder.service,
    ...serverSettings(config),
    load: async (logger) => {
      const bundle = await loadBundle(config.bundle, config.verify);
      const worker = await DecoderWorker.start(stageWorkerOptions(config, logger));
      const runtime = await decoderRuntime(config, bundle, worker);
      return batchedStage(
        runtime.batches,
        decoderHandlers(runtime, config),
        stageRequestLimits(bundle.manifest).decoder,
      );
    },
  };
}

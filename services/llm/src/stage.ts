/** The LLMGenerator stage process: bundle, worker, runtime and handlers wired together. */
import { services } from "@pixellm/api";
import { loadBundle } from "@pixellm/bundle";
import { LlmWorker, modelDims } from "@pixellm/engine";
import {
  type StageProcess,
  serverSettings,
  stageRequestLimits,
  stageWorkerOptions,
} from "@pixellm/service-kit";
import type { LlmConfig } from "./config";
import { LlmRuntime } from "./runtime";
import { llmHandlers } from "./server";

export function llmStage(config: LlmConfig): StageProcess {
  return {
    service: "llm",
    serviceName: "pixellm.v1.LLMGenerator",
    definition: services().LLMGenerator.service,
    ...serverSettings(config),
    load: async (logger) => {
      const bundle = await loadBundle(config.bundle, config.verify);
      const worker = await LlmWorker.start(modelDims(bundle.manifest), {
        ...stageWorkerOptions(config, logger),
        kvCapacityTokens: config.kvBudgetTokens,
      });
      const runtime = await LlmRuntime.start(config, bundle, worker);
      return {
        implementation: llmHandlers(runtime, config),
        drain: () => runtime.drain(),
        close: () => runtime.close(),
        warmUpMs: runtime.warmUpMs,
        requestLimits: stageRequestLimits(bundle.manifest).llm,
      };
    },
  };
}

/** The LLMGenerator stage process: model, continuous-batching scheduler and handlers wired together. */
import { services } from "@pixellm/api";
import { LlmScheduler } from "@pixellm/engine";
import { type StageProcess, serverSettings } from "@pixellm/service-kit";
import type { LlmConfig } from "./config";
import { GenerationTelemetry } from "./generation-telemetry";
import { stageCounters } from "./messages";
import { loadLlmModel } from "./model";
import { type Admission, llmHandlers } from "./server";

export function llmStage(config: LlmConfig): StageProcess {
  return {
    service: "llm",
    serviceName: "pixellm.v1.LLMGenerator",
    definition: services().LLMGenerator.service,
    ...serverSettings(config),
    load: async (logger) => {
      const model = await loadLlmModel(config, logger);
      const telemetry = new GenerationTelemetry(new Set(model.tokens.seg));
      const scheduler = new LlmScheduler(
        model.runner,
        model.tokens,
        {
          maxBatchSize: config.maxBatchSize,
          kvBudgetTokens: config.kvBudgetTokens,
          maxPrefillRows: config.maxPrefillRows,
        },
        telemetry.onRun,
      );
      const admission: Admission = { rejected: 0 };
      telemetry.observe(
        () => stageCounters(scheduler.stats(), admission.rejected),
        () => scheduler.stats(),
        config.kvBudgetTokens,
      );
      return {
        implementation: llmHandlers(model, scheduler, config, admission, telemetry),
        drain: () => scheduler.drain(),
        close: () => {
          telemetry.close();
          return model.close();
        },
        warmUpMs: model.warmUpMs,
      };
    },
  };
}

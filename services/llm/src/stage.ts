/** The LLMGenerator stage process: model, continuous-batching scheduler and handlers wired together. */
import { services } from "@pixellm/api";
import { LlmScheduler } from "@pixellm/engine";
import type { StageProcess } from "@pixellm/service-kit";
import type { LlmConfig } from "./config";
import { loadLlmModel } from "./model";
import { llmHandlers } from "./server";

export function llmStage(config: LlmConfig): StageProcess {
  return {
    service: "llm",
    serviceName: "pixellm.v1.LLMGenerator",
    definition: services().LLMGenerator.service,
    host: config.host,
    port: config.port,
    maxMessageBytes: config.maxMessageBytes,
    shutdownGraceMs: config.shutdownGraceMs,
    logLevel: config.logLevel,
    load: async (logger) => {
      const model = await loadLlmModel(config, logger);
      const scheduler = new LlmScheduler(model.runner, model.tokens, {
        maxBatchSize: config.maxBatchSize,
        kvBudgetTokens: config.kvBudgetTokens,
        maxPrefillRows: config.maxPrefillRows,
      });
      return {
        implementation: llmHandlers(model, scheduler, config),
        drain: () => scheduler.drain(),
        close: () => model.close(),
      };
    },
  };
}

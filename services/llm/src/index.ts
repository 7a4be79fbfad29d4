export { llmStage } from "./stage";
export { llmConfig, LLM_SETTINGS, type LlmConfig } from "./config";
export { LlmRuntime, type GenerateCall } from "./runtime";

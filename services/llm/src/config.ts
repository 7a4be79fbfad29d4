/** LLMGenerator settings (environment variables; see README "Configuration"). */
import { type ConfigOf, int, loadConfig, stageSettings } from "@pixellm/service-kit";

export const LLM_SETTINGS = {
  ...stageSettings("LLM", 7102),
  maxBatchSize: int({
    env: "LLM_MAX_BATCH_SIZE",
    default: 16,
    min: 1,
    max: 256,
    description: "sequences decoding together (continuous batching)",
  }),
  kvBudgetTokens: int({
    env: "LLM_KV_BUDGET_TOKENS",
    default: 32_768,
    min: 1024,
    description: "KV positions the running batch may hold (rows × padded length); admission waits beyond it",
  }),
  maxPrefillRows: int({
    env: "LLM_MAX_PREFILL_ROWS",
    default: 4,
    min: 1,
    max: 256,
    description: "new sequences prefilled in one run",
  }),
  maxQueue: int({
    env: "LLM_MAX_QUEUE",
    default: 256,
    min: 1,
    description: "sequences waiting for admission at most; more are refused with RESOURCE_EXHAUSTED",
  }),
  streamFlushMs: int({
    env: "LLM_STREAM_FLUSH_MS",
    default: 20,
    min: 0,
    max: 1000,
    description:
      "token deltas of a stream are sent at most this often (0: every step); each message costs CPU the model could use",
  }),
};

export type LlmConfig = ConfigOf<typeof LLM_SETTINGS>;

export function llmConfig(env: NodeJS.ProcessEnv = process.env): LlmConfig {
  return loadConfig(LLM_SETTINGS, env);
}

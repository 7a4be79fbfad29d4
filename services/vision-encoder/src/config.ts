/** VisionEncoder settings (environment variables; see README "Configuration"). */
import { type ConfigOf, int, loadConfig, stageSettings } from "@pixellm/service-kit";

export const VISION_SETTINGS = {
  ...stageSettings("VISION", 7101),
  maxBatchSize: int({
    env: "VISION_MAX_BATCH_SIZE",
    default: 8,
    min: 1,
    max: 256,
    description: "images per vision run",
  }),
  maxBatchDelayMs: int({
    env: "VISION_MAX_BATCH_DELAY_MS",
    default: 5,
    min: 0,
    max: 10_000,
    description: "longest wait for a batch to fill",
  }),
  maxQueue: int({
    env: "VISION_MAX_QUEUE",
    default: 64,
    min: 1,
    description: "images waiting at most; more are refused with RESOURCE_EXHAUSTED",
  }),
};

export type VisionConfig = ConfigOf<typeof VISION_SETTINGS>;

export function visionConfig(env: NodeJS.ProcessEnv = process.env): VisionConfig {
  return loadConfig(VISION_SETTINGS, env);
}

/** VisionEncoder settings (environment variables; see README "Configuration"). */
import { type ConfigOf, batchingSettings, loadConfig, stageSettings } from "@pixellm/service-kit";

export const VISION_SETTINGS = {
  ...stageSettings("VISION", 7101),
  ...batchingSettings("VISION", { maxBatchSize: 8, maxBatchDelayMs: 5, maxQueue: 64 }, "images"),
};

export type VisionConfig = ConfigOf<typeof VISION_SETTINGS>;

export function visionConfig(env: NodeJS.ProcessEnv = process.env): VisionConfig {
  return loadConfig(VISION_SETTINGS, env);
}

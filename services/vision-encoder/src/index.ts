export { visionStage } from "./stage";
export { visionConfig, VISION_SETTINGS, type VisionConfig } from "./config";
export { visionRuntime, type VisionRuntime } from "./runtime";

export { makeCheckpoint, type MakeCheckpointOptions, type GeneratedCheckpoint } from "./make-checkpoint";
export {
  PRESETS,
  TINY_GENERATOR_VERSION,
  isPresetName,
  type PresetName,
  type CheckpointPreset,
} from "./presets";
export { writeGeneratedWeights, type WeightsToWrite } from "./write-weights";
export { type DtypePolicy, type StoredDtype } from "./synth-weights";
export { pixellmConfigJson, clipConfigJson } from "./configs";

export { makeCheckpoint, type MakeCheckpointOptions, type GeneratedCheckpoint } from "./make-checkpoint";
export {
  PRESETS,
  TINY_GENERATOR_VERSION,
  isPresetName,
  type PresetName,
  type CheckpointPreset,
} from "./presets";
export { type DtypePolicy, type StoredDtype } from "./synth-weights";
export { clipConfigJson, pixellmConfigJson } from "./configs";

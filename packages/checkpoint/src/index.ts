export { CheckpointError, type CheckpointErrorCode } from "./errors";
export { SafetensorsFile } from "./safetensors";
export { TorchFile } from "./torch-file";
export type { TensorInfo, TensorShard } from "./tensor-file";
export { TensorStore } from "./tensor-store";
export { ConfigReader } from "./config-fields";
export {
  type PixelLMConfig,
  parsePixelLMConfig,
  codebookSize,
  SECOND_SCALE_HIDDEN_STATE,
} from "./pixellm-config";
export { type ClipVisionConfig, parseClipVisionConfig } from "./clip-config";
export { type SpecialTokenIds, resolveSpecialTokens, codebookTokenNames } from "./special-tokens";
export { openCheckpoint, TOKENIZER_FILES, type PixelLMCheckpoint, type CheckpointPaths } from "./checkpoint";
export { readJsonObject } from "./json-file";
export { writeSafetensors, writeShardedCheckpoint, type TensorToWrite } from "./safetensors-writer";
export {
  pixellmNames,
  clipNames,
  pixellmParameters,
  clipParameters,
  twoWayAttentionModules,
  type ParameterSpec,
  type ParameterKind,
} from "./layout";

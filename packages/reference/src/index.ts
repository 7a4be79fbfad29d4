export { ReferenceModelError, type ReferenceModelErrorCode } from "./errors";
export { type WeightSource } from "./weights";
export {
  loadReferenceModel,
  encodeImage,
  type ReferenceModel,
  type ReferenceSources,
  type VisionOutput,
} from "./model";
export {
  evaluate,
  evaluateTeacherForced,
  segHiddenPositions,
  type ImageInput,
  type EvaluateInput,
  type EvaluateOptions,
  type EvaluateResult,
  type SegmentationOutput,
  type TeacherForcedInput,
  type TeacherForcedResult,
} from "./evaluate";
export {
  runVisionTower,
  patchMask,
  resolveHiddenStateIndex,
  type ClipTaps,
  SECOND_SCALE_TAP,
} from "./vision";
export { rebuildPositionTable } from "./position-table";
export { llmImageEmbeddings, llmImageTokenMask, decoderFeatures, LLM_IMAGE_GRID } from "./image-features";
export { runLlm, embedTokens, type LlmOutput } from "./llm";
export { spliceImage, IMAGE_TOKEN_INDEX, type MultimodalInputs } from "./multimodal";
export { textHiddenFcs, fuseSegTokens, decodeLowResMasks, LOW_RES_SIZE } from "./pixel-decoder";
export { randomPositionEncoding } from "./position-encoding";
export { postprocessMasks, maskScores } from "./postprocess";
export * as kernels from "./kernels/index";

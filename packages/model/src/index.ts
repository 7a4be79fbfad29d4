export {
  exportBundle,
  ExportTargetError,
  type ExportOptions,
  type ExportProgress,
  type ExportSummary,
} from "./export/export-bundle";
export {
  IMAGE_SIZE,
  PATCH_GRID,
  LLM_TOKEN_GRID,
  LLM_IMAGE_TOKENS,
  LOW_RES_MASK_SIZE,
} from "./graphs/geometry";

export { EngineError, type EngineErrorCode } from "@pixellm/errors";
export {
  formatAnswer,
  placeholder,
  type AnswerText,
  prepareImage,
  promptIdsForQuery,
  reservedTokens,
  DEFAULT_QUERY_LIMITS,
  type PreparedImage,
  type QueryLimits,
} from "@pixellm/pipeline";
export {
  ModelSession,
  EXECUTION_PROVIDERS,
  type ExecutionProvider,
  type SessionOptions,
  type SessionValue,
  type DeviceTensor,
} from "./runtime/model-session";
export { openSessions, type BundleSessions } from "./runtime/bundle-sessions";
export { type Outcome, isFailure, runBatch } from "./stages/outcome";
export { VisionStage, type VisionInput, type VisionOutput } from "./stages/vision-stage";
export {
  DecoderStage,
  type DecodeInput,
  type DecodeOutput,
  type DecodedTarget,
} from "./stages/decoder-stage";
export { LlmRunner } from "./generation/llm-runner";
export {
  imageSplice,
  modelDims,
  type ModelDims,
  type SequenceModel,
  type PrefillInput,
  type RunOutput,
  type StepOutput,
} from "./generation/sequence-model";
export {
  LlmScheduler,
  type SchedulerOptions,
  type SchedulerStats,
  type SchedulerRun,
  type TokenIds,
} from "./generation/scheduler";
export { KvBatch, WIDTH_CHUNK, type KvRow } from "./generation/kv/kv-batch";
export type { KvShape, KvStore, LayerTensors } from "./generation/kv/kv-store";
export { HostKvStore } from "./generation/kv/host-kv-store";
export { DeviceKvStore } from "./generation/kv/device-kv-store";
export {
  VisionWorker,
  DecoderWorker,
  LlmWorker,
  startAllStageWorkers,
  type AllStageWorkers,
  type WorkerOptions,
} from "./worker/worker-stages";
export { GREEDY, argmax, createSampler, type SamplingOptions } from "./generation/sampler";
export { codebookPositions } from "@pixellm/pipeline";
export type { GenerationRequest, GenerationResult, FinishReason } from "./generation/request";
export {
  PixelLMEngine,
  DEFAULT_MAX_NEW_TOKENS,
  DEFAULT_SCHEDULER,
  type EncodedImage,
  type EngineOptions,
  type SegmentRequest,
  type SegmentResult,
  type SegmentTarget,
  type SegmentTensors,
} from "./pipeline/engine";
export { traceSegment, type Trace, type TraceInput } from "./trace/trace-segment";

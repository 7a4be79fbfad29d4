/**
 * LLMGenerator messages ↔ the scheduler's requests and results: request tensors and ids decoded
 * and checked (each failure names its field), results encoded with a checksummed codebook tensor.
 */
import {
  type GenerateRequest__Output,
  type GenerationDone,
  type FinishReason__Output,
  decodeTensor,
  encodeTensor,
} from "@pixellm/api";
import type {
  FinishReason,
  GenerationRequest,
  GenerationResult,
  ModelDims,
  SamplingOptions,
  SchedulerStats,
} from "@pixellm/engine";
import { EngineError } from "@pixellm/errors";
import type { CallContext, StageCounters } from "@pixellm/service-kit";
import { makeTensor } from "@pixellm/tensor";

const FINISH_REASONS: Readonly<Record<FinishReason, FinishReason__Output>> = {
  eos: "FINISH_REASON_EOS",
  length: "FINISH_REASON_LENGTH",
  max_context: "FINISH_REASON_MAX_CONTEXT",
  teacher_forced: "FINISH_REASON_TEACHER_FORCED",
};

export function toGenerationRequest(
  request: GenerateRequest__Output,
  dims: ModelDims,
  context: CallContext,
  onToken: (token: number) => void,
): GenerationRequest {
  // in: image_embeds float32[256,H], image_mask uint8[256]
  const embeds = decodeTensor("image_embeds", request.imageEmbeds, {
    dtype: "float32",
    shape: [dims.imageTokens, dims.hidden],
  });
  const mask = decodeTensor("image_mask", request.imageMask, { dtype: "uint8", shape: [dims.imageTokens] });
  if (mask.data.some((v) => v > 1))
    throw new EngineError("invalid_argument", "image_mask must hold only 0 and 1");
  checkIds("prompt_ids", request.promptIds, dims);
  checkIds("answer_ids", request.answerIds, dims);
  if (request.promptIds.filter((id) => id === dims.imageTokenIndex).length !== 1) {
    throw new EngineError(
      "invalid_argument",
      `prompt_ids must hold exactly one image placeholder (${dims.imageTokenIndex})`,
    );
  }
  return {
    promptIds: request.promptIds,
    imageEmbeds: embeds.data,
    imageMask: mask.data,
    maxNewTokens: request.maxNewTokens,
    ...(request.answerIds.length > 0 ? { answerIds: request.answerIds } : {}),
    ...(request.sampling ? { sampling: samplingOf(request.sampling) } : {}),
    ...(request.ignoreEos ? { ignoreEos: true } : {}),
    ...(context.deadline !== undefined ? { deadline: context.deadline } : {}),
    signal: context.signal,
    onToken,
  };
}

// out: codebook_hidden float32[n,H] with its CRC-32C
export function toGenerationDone(result: GenerationResult, hidden: number): GenerationDone {
  const codebook = makeTensor("float32", [result.codebookCount, hidden], result.codebookHidden);
  return {
    outputIds: result.outputIds,
    finishReason: FINISH_REASONS[result.finishReason],
    codebookHidden: encodeTensor(codebook, { checksum: true }),
    promptPositions: result.promptPositions,
    queuedMs: result.timings.queuedMs,
    prefillMs: result.timings.prefillMs,
    firstTokenMs: result.timings.firstTokenMs,
    totalMs: result.timings.totalMs,
  };
}

/** Scheduler counters as StageInfo reports them: batches are decode steps, items decode rows. */
export function stageCounters(stats: SchedulerStats, rejected: number): StageCounters {
  return {
    batches: stats.decodeSteps,
    items: stats.decodeRows,
    prefillBatches: stats.prefillRuns,
    prefillItems: stats.prefillRows,
    deadlineExceeded: stats.deadlineExceeded,
    cancelled: stats.cancelled,
    rejected,
    failed: stats.failed,
    queued: stats.waiting,
    running: stats.running,
  };
}

/** Proto3 leaves unset fields 0: top_p 0 means the whole distribution. */
function samplingOf(sampling: NonNullable<GenerateRequest__Output["sampling"]>): SamplingOptions {
  return {
    temperature: sampling.temperature,
    topP: sampling.topP === 0 ? 1 : sampling.topP,
    seed: sampling.seed,
  };
}

/** Token ids must lie in the vocabulary (the image placeholder aside); the graph would fail deep inside. */
function checkIds(field: string, ids: readonly number[], dims: ModelDims): void {
  const bad = ids.findIndex(
    (id) => id !== dims.imageTokenIndex && !(Number.isInteger(id) && id >= 0 && id < dims.vocab),
  );
  if (bad >= 0) {
    throw new EngineError(
      "invalid_argument",
      `${field}[${bad}] = ${ids[bad]} is outside the vocabulary [0, ${dims.vocab})`,
    );
  }
}

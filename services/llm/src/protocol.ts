/**
 * The LLMGenerator boundary in one module, used on both sides of it: the gateway encodes
 * requests and decodes results, the service decodes requests and encodes results. Tensors keep
 * their shapes (the codebook states travel as float32[n,H] with their CRC-32C); every decode
 * checks dtype, shape and ids against the model and names the field that is wrong; the finish
 * reasons are mapped here and nowhere else.
 */
import {
  type FinishReason__Output,
  type GenerateRequest,
  type GenerateRequest__Output,
  type GenerationDone,
  type GenerationDone__Output,
  type Sampling__Output,
  decodeTensor,
  encodeTensor,
} from "@pixellm/api";
import type {
  FinishReason,
  GenerationRequest,
  GenerationResult,
  ModelDims,
  SamplingOptions,
} from "@pixellm/engine";
import { EngineError } from "@pixellm/errors";

/** What a generation takes besides its call's deadline, signal and token stream. */
export type GenerationInput = Omit<GenerationRequest, "deadline" | "signal" | "onToken">;

const WIRE_FINISH_REASONS: Readonly<Record<FinishReason, FinishReason__Output>> = {
  eos: "FINISH_REASON_EOS",
  length: "FINISH_REASON_LENGTH",
  max_context: "FINISH_REASON_MAX_CONTEXT",
  teacher_forced: "FINISH_REASON_TEACHER_FORCED",
};
const FINISH_REASONS = new Map(
  Object.entries(WIRE_FINISH_REASONS).map(([reason, wire]) => [wire, reason as FinishReason]),
);

/** A finish reason as the public API spells it (the same enum as the stage's). */
export function wireFinishReason(reason: FinishReason): FinishReason__Output {
  return WIRE_FINISH_REASONS[reason];
}

// in: image_embeds float32[256,H], image_mask uint8[256]
export function encodeGenerateRequest(requestId: string, input: GenerationInput): GenerateRequest {
  return {
    requestId,
    promptIds: [...input.promptIds],
    imageEmbeds: encodeTensor(input.imageEmbeds),
    imageMask: encodeTensor(input.imageMask),
    maxNewTokens: input.maxNewTokens,
    answerIds: [...(input.answerIds ?? [])],
    ...(input.sampling ? { sampling: input.sampling } : {}),
    ignoreEos: input.ignoreEos ?? false,
  };
}

export function decodeGenerateRequest(request: GenerateRequest__Output, dims: ModelDims): GenerationInput {
  const imageEmbeds = decodeTensor("image_embeds", request.imageEmbeds, {
    dtype: "float32",
    shape: [dims.imageTokens, dims.hidden],
  });
  const imageMask = decodeTensor("image_mask", request.imageMask, {
    dtype: "uint8",
    shape: [dims.imageTokens],
  });
  if (imageMask.data.some((v) => v > 1))
    throw new EngineError("invalid_argument", "image_mask must hold only 0 and 1");
  const promptIds = request.promptIds.map(Number);
  const answerIds = request.answerIds.map(Number);
  checkIds("prompt_ids", promptIds, dims);
  checkIds("answer_ids", answerIds, dims);
  if (promptIds.filter((id) => id === dims.imageTokenIndex).length !== 1) {
    throw new EngineError(
      "invalid_argument",
      `prompt_ids must hold exactly one image placeholder (${dims.imageTokenIndex})`,
    );
  }
  return {
    promptIds,
    imageEmbeds,
    imageMask,
    maxNewTokens: request.maxNewTokens,
    ...(answerIds.length > 0 ? { answerIds } : {}),
    ...(request.sampling ? { sampling: samplingOf(request.sampling) } : {}),
    ...(request.ignoreEos ? { ignoreEos: true } : {}),
  };
}

// out: codebook_hidden float32[n,H] with its CRC-32C
export function encodeGenerationDone(result: GenerationResult): GenerationDone {
  return {
    outputIds: result.outputIds,
    finishReason: WIRE_FINISH_REASONS[result.finishReason],
    codebookHidden: encodeTensor(result.codebookHidden, { checksum: true }),
    promptPositions: result.promptPositions,
    queuedMs: result.timings.queuedMs,
    prefillMs: result.timings.prefillMs,
    firstTokenMs: result.timings.firstTokenMs,
    totalMs: result.timings.totalMs,
  };
}

export function decodeGenerationDone(
  done: GenerationDone__Output,
  dims: Pick<ModelDims, "hidden">,
): GenerationResult {
  const finishReason = FINISH_REASONS.get(done.finishReason);
  if (!finishReason)
    throw new EngineError("internal", `the llm stage sent finish reason ${done.finishReason}`);
  return {
    outputIds: done.outputIds.map(Number),
    finishReason,
    codebookHidden: decodeTensor("codebook_hidden", done.codebookHidden, {
      dtype: "float32",
      shape: [null, dims.hidden],
    }),
    promptPositions: done.promptPositions,
    timings: {
      queuedMs: done.queuedMs,
      prefillMs: done.prefillMs,
      firstTokenMs: done.firstTokenMs,
      totalMs: done.totalMs,
    },
  };
}

/** Proto3 leaves unset fields 0: top_p 0 means the whole distribution. */
function samplingOf(sampling: Sampling__Output): SamplingOptions {
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

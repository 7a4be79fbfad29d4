/** What the generation stage takes and gives back, per sequence. */
import type { HostTensor } from "@pixellm/tensor";
import type { SamplingOptions } from "./sampler";

export interface GenerationRequest {
  /** Prompt ids with exactly one image placeholder (-200), as `tokenizer_image_token` builds them. */
  readonly promptIds: readonly number[];
  /** float32[256,H]: the image's LLM tokens from the vision stage. */
  readonly imageEmbeds: HostTensor<"float32">;
  /** uint8[256]: 1 where an image token covers the image, 0 on padding (stays masked at every step). */
  readonly imageMask: HostTensor<"uint8">;
  readonly maxNewTokens: number;
  /** Teacher forcing (the official RefCOCO evaluation): the answer is given, nothing is sampled. */
  readonly answerIds?: readonly number[];
  readonly sampling?: SamplingOptions;
  /** Keep generating past </s> (benchmarks that need a fixed number of tokens). */
  readonly ignoreEos?: boolean;
  /** Absolute deadline, ms since the epoch; the sequence stops using compute once it passes. */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  /** Called with each new token id as it is chosen (streaming). */
  readonly onToken?: (token: number) => void;
}

export type FinishReason = "eos" | "length" | "max_context" | "teacher_forced";

export interface GenerationResult {
  /** The answer ids: generated (with </s> when it was produced) or the teacher-forced answer. */
  readonly outputIds: number[];
  readonly finishReason: FinishReason;
  /** float32[n,H]: codebook hidden states in order of appearance. */
  readonly codebookHidden: HostTensor<"float32">;
  /** Positions the prompt occupied once the image was spliced in. */
  readonly promptPositions: number;
  readonly timings: {
    readonly queuedMs: number;
    readonly prefillMs: number;
    readonly firstTokenMs: number;
    readonly totalMs: number;
  };
}

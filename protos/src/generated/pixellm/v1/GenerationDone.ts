// Original file: pixellm/v1/stages.proto

import type {
  FinishReason as _pixellm_v1_FinishReason,
  FinishReason__Output as _pixellm_v1_FinishReason__Output,
} from "../../pixellm/v1/FinishReason";
import type {
  Tensor as _pixellm_v1_Tensor,
  Tensor__Output as _pixellm_v1_Tensor__Output,
} from "../../pixellm/v1/Tensor";
import type { Long } from "@grpc/proto-loader";

export interface GenerationDone {
  /**
   * All answer ids (generated, with </s> when produced, or the teacher-forced answer).
   */
  outputIds?: (number | string | Long)[];
  finishReason?: _pixellm_v1_FinishReason;
  /**
   * float32 [n,H]: final-norm hidden state of every position whose next id is a codebook
   * token ([SEG0]…[SEG5]), in order of appearance; n = 6 × targets when whole. Carries crc32c.
   */
  codebookHidden?: _pixellm_v1_Tensor | null;
  /**
   * Positions of the prompt once the image was spliced in.
   */
  promptPositions?: number;
  /**
   * Milliseconds: waiting for admission, prefill, to the first token, in total.
   */
  queuedMs?: number | string;
  prefillMs?: number | string;
  firstTokenMs?: number | string;
  totalMs?: number | string;
}

export interface GenerationDone__Output {
  /**
   * All answer ids (generated, with </s> when produced, or the teacher-forced answer).
   */
  outputIds: number[];
  finishReason: _pixellm_v1_FinishReason__Output;
  /**
   * float32 [n,H]: final-norm hidden state of every position whose next id is a codebook
   * token ([SEG0]…[SEG5]), in order of appearance; n = 6 × targets when whole. Carries crc32c.
   */
  codebookHidden: _pixellm_v1_Tensor__Output | null;
  /**
   * Positions of the prompt once the image was spliced in.
   */
  promptPositions: number;
  /**
   * Milliseconds: waiting for admission, prefill, to the first token, in total.
   */
  queuedMs: number;
  prefillMs: number;
  firstTokenMs: number;
  totalMs: number;
}

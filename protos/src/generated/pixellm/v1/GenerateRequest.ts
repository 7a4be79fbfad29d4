// Original file: pixellm/v1/stages.proto

import type {
  Tensor as _pixellm_v1_Tensor,
  Tensor__Output as _pixellm_v1_Tensor__Output,
} from "../../pixellm/v1/Tensor";
import type {
  Sampling as _pixellm_v1_Sampling,
  Sampling__Output as _pixellm_v1_Sampling__Output,
} from "../../pixellm/v1/Sampling";
import type { Long } from "@grpc/proto-loader";

export interface GenerateRequest {
  requestId?: string;
  /**
   * Prompt ids with exactly one image placeholder (-200), as tokenizer_image_token builds them.
   */
  promptIds?: (number | string | Long)[];
  /**
   * float32 [256,H] and uint8 [256], from EncodeResponse.
   */
  imageEmbeds?: _pixellm_v1_Tensor | null;
  imageMask?: _pixellm_v1_Tensor | null;
  /**
   * New tokens at most (ignored with answer_ids).
   */
  maxNewTokens?: number;
  /**
   * Teacher forcing: the answer is given and nothing is sampled.
   */
  answerIds?: (number | string | Long)[];
  sampling?: _pixellm_v1_Sampling | null;
  /**
   * Keep generating past </s> (benchmarks).
   */
  ignoreEos?: boolean;
}

export interface GenerateRequest__Output {
  requestId: string;
  /**
   * Prompt ids with exactly one image placeholder (-200), as tokenizer_image_token builds them.
   */
  promptIds: number[];
  /**
   * float32 [256,H] and uint8 [256], from EncodeResponse.
   */
  imageEmbeds: _pixellm_v1_Tensor__Output | null;
  imageMask: _pixellm_v1_Tensor__Output | null;
  /**
   * New tokens at most (ignored with answer_ids).
   */
  maxNewTokens: number;
  /**
   * Teacher forcing: the answer is given and nothing is sampled.
   */
  answerIds: number[];
  sampling: _pixellm_v1_Sampling__Output | null;
  /**
   * Keep generating past </s> (benchmarks).
   */
  ignoreEos: boolean;
}

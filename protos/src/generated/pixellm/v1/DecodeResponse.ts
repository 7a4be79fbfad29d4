// Original file: pixellm/v1/stages.proto

import type {
  DecodedMask as _pixellm_v1_DecodedMask,
  DecodedMask__Output as _pixellm_v1_DecodedMask__Output,
} from "../../pixellm/v1/DecodedMask";
import type {
  Tensor as _pixellm_v1_Tensor,
  Tensor__Output as _pixellm_v1_Tensor__Output,
} from "../../pixellm/v1/Tensor";

export interface DecodeResponse {
  /**
   * One mask per target, in order of the codebook groups.
   */
  masks?: _pixellm_v1_DecodedMask[];
  /**
   * Codebook states were given but not a whole number of groups: masks dropped (reference rule).
   */
  dropped?: boolean;
  /**
   * float32 [N,1,128,128], only with include_low_res.
   */
  lowResLogits?: _pixellm_v1_Tensor | null;
}

export interface DecodeResponse__Output {
  /**
   * One mask per target, in order of the codebook groups.
   */
  masks: _pixellm_v1_DecodedMask__Output[];
  /**
   * Codebook states were given but not a whole number of groups: masks dropped (reference rule).
   */
  dropped: boolean;
  /**
   * float32 [N,1,128,128], only with include_low_res.
   */
  lowResLogits: _pixellm_v1_Tensor__Output | null;
}

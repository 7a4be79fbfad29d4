// Original file: pixellm/v1/stages.proto

import type {
  Tensor as _pixellm_v1_Tensor,
  Tensor__Output as _pixellm_v1_Tensor__Output,
} from "../../pixellm/v1/Tensor";

export interface EncodeResponse {
  /**
   * float32 [256,H]: the LLM image tokens (2×2-pooled CLIP layer 23 → mm_projector).
   */
  imageEmbeds?: _pixellm_v1_Tensor | null;
  /**
   * uint8 [256]: 1 where an image token covers the image, 0 on padding.
   */
  imageMask?: _pixellm_v1_Tensor | null;
  /**
   * float32 [2,D,32,32]: decoder features; scale 0 from CLIP layer 23, scale 1 from layer 14.
   */
  decoderFeatures?: _pixellm_v1_Tensor | null;
}

export interface EncodeResponse__Output {
  /**
   * float32 [256,H]: the LLM image tokens (2×2-pooled CLIP layer 23 → mm_projector).
   */
  imageEmbeds: _pixellm_v1_Tensor__Output | null;
  /**
   * uint8 [256]: 1 where an image token covers the image, 0 on padding.
   */
  imageMask: _pixellm_v1_Tensor__Output | null;
  /**
   * float32 [2,D,32,32]: decoder features; scale 0 from CLIP layer 23, scale 1 from layer 14.
   */
  decoderFeatures: _pixellm_v1_Tensor__Output | null;
}

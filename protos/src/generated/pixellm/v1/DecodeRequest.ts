// Original file: pixellm/v1/stages.proto

import type {
  Tensor as _pixellm_v1_Tensor,
  Tensor__Output as _pixellm_v1_Tensor__Output,
} from "../../pixellm/v1/Tensor";
import type {
  ImageSize as _pixellm_v1_ImageSize,
  ImageSize__Output as _pixellm_v1_ImageSize__Output,
} from "../../pixellm/v1/ImageSize";

export interface DecodeRequest {
  requestId?: string;
  /**
   * float32 [n,H] from GenerationDone.codebook_hidden.
   */
  codebookHidden?: _pixellm_v1_Tensor | null;
  /**
   * float32 [2,D,32,32] from EncodeResponse.decoder_features.
   */
  decoderFeatures?: _pixellm_v1_Tensor | null;
  /**
   * The resized (h', w') and original (H, W) image sizes, to crop and resize the masks.
   */
  resized?: _pixellm_v1_ImageSize | null;
  original?: _pixellm_v1_ImageSize | null;
  /**
   * Also return the 128×128 low-resolution logits.
   */
  includeLowRes?: boolean;
}

export interface DecodeRequest__Output {
  requestId: string;
  /**
   * float32 [n,H] from GenerationDone.codebook_hidden.
   */
  codebookHidden: _pixellm_v1_Tensor__Output | null;
  /**
   * float32 [2,D,32,32] from EncodeResponse.decoder_features.
   */
  decoderFeatures: _pixellm_v1_Tensor__Output | null;
  /**
   * The resized (h', w') and original (H, W) image sizes, to crop and resize the masks.
   */
  resized: _pixellm_v1_ImageSize__Output | null;
  original: _pixellm_v1_ImageSize__Output | null;
  /**
   * Also return the 128×128 low-resolution logits.
   */
  includeLowRes: boolean;
}

// Original file: pixellm/v1/stages.proto

import type {
  Tensor as _pixellm_v1_Tensor,
  Tensor__Output as _pixellm_v1_Tensor__Output,
} from "../../pixellm/v1/Tensor";
import type {
  ImageSize as _pixellm_v1_ImageSize,
  ImageSize__Output as _pixellm_v1_ImageSize__Output,
} from "../../pixellm/v1/ImageSize";

export interface EncodeRequest {
  /**
   * Correlates logs and traces across stages.
   */
  requestId?: string;
  /**
   * float32 [3,448,448]: resized (longest side 448, PIL bilinear), normalised with the
   * ImageNet mean/std in 0–255 units and zero-padded bottom/right.
   */
  pixelValues?: _pixellm_v1_Tensor | null;
  /**
   * Size of the resized image inside the 448² canvas (h', w').
   */
  resized?: _pixellm_v1_ImageSize | null;
  /**
   * uint8 [h',w',3]: resized RGB only (8× smaller on the wire); the encoder normalises and pads.
   */
  resizedRgb?: _pixellm_v1_Tensor | null;
  /**
   * The image, in one of two forms:
   */
  image?: "pixelValues" | "resizedRgb";
}

export interface EncodeRequest__Output {
  /**
   * Correlates logs and traces across stages.
   */
  requestId: string;
  /**
   * float32 [3,448,448]: resized (longest side 448, PIL bilinear), normalised with the
   * ImageNet mean/std in 0–255 units and zero-padded bottom/right.
   */
  pixelValues?: _pixellm_v1_Tensor__Output | null;
  /**
   * Size of the resized image inside the 448² canvas (h', w').
   */
  resized: _pixellm_v1_ImageSize__Output | null;
  /**
   * uint8 [h',w',3]: resized RGB only (8× smaller on the wire); the encoder normalises and pads.
   */
  resizedRgb?: _pixellm_v1_Tensor__Output | null;
  /**
   * The image, in one of two forms:
   */
  image?: "pixelValues" | "resizedRgb";
}

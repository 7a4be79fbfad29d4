// Original file: pixellm/v1/stages.proto

import type {
  CocoRle as _pixellm_v1_CocoRle,
  CocoRle__Output as _pixellm_v1_CocoRle__Output,
} from "../../pixellm/v1/CocoRle";
import type { Long } from "@grpc/proto-loader";

export interface DecodedMask {
  rle?: _pixellm_v1_CocoRle | null;
  /**
   * [x, y, width, height], as pycocotools' toBbox.
   */
  bbox?: (number | string)[];
  /**
   * Foreground pixels.
   */
  area?: number | string | Long;
  /**
   * Mean sigmoid over the mask's pixels (informational, as the reference's mask_score).
   */
  score?: number | string;
}

export interface DecodedMask__Output {
  rle: _pixellm_v1_CocoRle__Output | null;
  /**
   * [x, y, width, height], as pycocotools' toBbox.
   */
  bbox: number[];
  /**
   * Foreground pixels.
   */
  area: number;
  /**
   * Mean sigmoid over the mask's pixels (informational, as the reference's mask_score).
   */
  score: number;
}

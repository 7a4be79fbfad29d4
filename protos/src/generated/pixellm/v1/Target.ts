// Original file: pixellm/v1/pixellm.proto

import type {
  CocoRle as _pixellm_v1_CocoRle,
  CocoRle__Output as _pixellm_v1_CocoRle__Output,
} from "../../pixellm/v1/CocoRle";
import type { Long } from "@grpc/proto-loader";

export interface Target {
  index?: number;
  /**
   * [span_start, span_end) of the target's placeholder in SegmentResponse.text (-1 if none).
   */
  spanStart?: number;
  spanEnd?: number;
  /**
   * The mask at the image's original size.
   */
  mask?: _pixellm_v1_CocoRle | null;
  /**
   * [x, y, width, height]
   */
  bbox?: (number | string)[];
  area?: number | string | Long;
  score?: number | string;
}

export interface Target__Output {
  index: number;
  /**
   * [span_start, span_end) of the target's placeholder in SegmentResponse.text (-1 if none).
   */
  spanStart: number;
  spanEnd: number;
  /**
   * The mask at the image's original size.
   */
  mask: _pixellm_v1_CocoRle__Output | null;
  /**
   * [x, y, width, height]
   */
  bbox: number[];
  area: number;
  score: number;
}

// Original file: pixellm/v1/pixellm.proto

import type {
  Target as _pixellm_v1_Target,
  Target__Output as _pixellm_v1_Target__Output,
} from "../../pixellm/v1/Target";
import type {
  FinishReason as _pixellm_v1_FinishReason,
  FinishReason__Output as _pixellm_v1_FinishReason__Output,
} from "../../pixellm/v1/FinishReason";
import type {
  ImageSize as _pixellm_v1_ImageSize,
  ImageSize__Output as _pixellm_v1_ImageSize__Output,
} from "../../pixellm/v1/ImageSize";
import type {
  Timings as _pixellm_v1_Timings,
  Timings__Output as _pixellm_v1_Timings__Output,
} from "../../pixellm/v1/Timings";
import type { Long } from "@grpc/proto-loader";

export interface SegmentResponse {
  /**
   * The job that produced this answer.
   */
  jobId?: string;
  /**
   * The answer, each target's codebook group replaced by a `<mask:k>` placeholder.
   */
  text?: string;
  /**
   * The decoded answer as the reference prints it (codebook tokens in place, "</s>" kept).
   */
  rawText?: string;
  /**
   * One per placeholder, in order.
   */
  targets?: _pixellm_v1_Target[];
  outputIds?: (number | string | Long)[];
  finishReason?: _pixellm_v1_FinishReason;
  /**
   * Codebook tokens were generated but not a whole number of groups: masks dropped.
   */
  masksDropped?: boolean;
  /**
   * Size of the decoded input image.
   */
  image?: _pixellm_v1_ImageSize | null;
  timings?: _pixellm_v1_Timings | null;
}

export interface SegmentResponse__Output {
  /**
   * The job that produced this answer.
   */
  jobId: string;
  /**
   * The answer, each target's codebook group replaced by a `<mask:k>` placeholder.
   */
  text: string;
  /**
   * The decoded answer as the reference prints it (codebook tokens in place, "</s>" kept).
   */
  rawText: string;
  /**
   * One per placeholder, in order.
   */
  targets: _pixellm_v1_Target__Output[];
  outputIds: number[];
  finishReason: _pixellm_v1_FinishReason__Output;
  /**
   * Codebook tokens were generated but not a whole number of groups: masks dropped.
   */
  masksDropped: boolean;
  /**
   * Size of the decoded input image.
   */
  image: _pixellm_v1_ImageSize__Output | null;
  timings: _pixellm_v1_Timings__Output | null;
}

// Original file: pixellm/v1/pixellm.proto

import type {
  Sampling as _pixellm_v1_Sampling,
  Sampling__Output as _pixellm_v1_Sampling__Output,
} from "../../pixellm/v1/Sampling";
import type { Long } from "@grpc/proto-loader";

export interface SegmentRequest {
  /**
   * The image: PNG, JPEG or WebP (the gateway's limits on bytes and pixels apply).
   */
  image?: Buffer | Uint8Array | string;
  /**
   * The question, e.g. "Please segment the dog." (UTF-8, length limited).
   */
  query?: string;
  /**
   * New tokens at most; 0 means the default (512, as the reference chat.py).
   */
  maxNewTokens?: number;
  /**
   * Greedy when unset (the reference decoding).
   */
  sampling?: _pixellm_v1_Sampling | null;
  /**
   * 0 (default) to 9; higher runs first when the queue is busy.
   */
  priority?: number;
  /**
   * Evaluation only: teacher-forced answer ids (the official RefCOCO validation).
   */
  answerIds?: (number | string | Long)[];
}

export interface SegmentRequest__Output {
  /**
   * The image: PNG, JPEG or WebP (the gateway's limits on bytes and pixels apply).
   */
  image: Buffer;
  /**
   * The question, e.g. "Please segment the dog." (UTF-8, length limited).
   */
  query: string;
  /**
   * New tokens at most; 0 means the default (512, as the reference chat.py).
   */
  maxNewTokens: number;
  /**
   * Greedy when unset (the reference decoding).
   */
  sampling: _pixellm_v1_Sampling__Output | null;
  /**
   * 0 (default) to 9; higher runs first when the queue is busy.
   */
  priority: number;
  /**
   * Evaluation only: teacher-forced answer ids (the official RefCOCO validation).
   */
  answerIds: number[];
}

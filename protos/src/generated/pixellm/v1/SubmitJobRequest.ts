// Original file: pixellm/v1/pixellm.proto

import type {
  SegmentRequest as _pixellm_v1_SegmentRequest,
  SegmentRequest__Output as _pixellm_v1_SegmentRequest__Output,
} from "../../pixellm/v1/SegmentRequest";
import type { Long } from "@grpc/proto-loader";

export interface SubmitJobRequest {
  request?: _pixellm_v1_SegmentRequest | null;
  /**
   * Retries with the same key return the same job instead of creating another.
   */
  idempotencyKey?: string;
  /**
   * Absolute deadline (ms since the epoch); 0 means the gateway's default job timeout.
   */
  deadlineUnixMs?: number | string | Long;
}

export interface SubmitJobRequest__Output {
  request: _pixellm_v1_SegmentRequest__Output | null;
  /**
   * Retries with the same key return the same job instead of creating another.
   */
  idempotencyKey: string;
  /**
   * Absolute deadline (ms since the epoch); 0 means the gateway's default job timeout.
   */
  deadlineUnixMs: number;
}

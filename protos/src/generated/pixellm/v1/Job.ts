// Original file: pixellm/v1/pixellm.proto

import type {
  JobState as _pixellm_v1_JobState,
  JobState__Output as _pixellm_v1_JobState__Output,
} from "../../pixellm/v1/JobState";
import type {
  SegmentResponse as _pixellm_v1_SegmentResponse,
  SegmentResponse__Output as _pixellm_v1_SegmentResponse__Output,
} from "../../pixellm/v1/SegmentResponse";
import type {
  JobError as _pixellm_v1_JobError,
  JobError__Output as _pixellm_v1_JobError__Output,
} from "../../pixellm/v1/JobError";
import type { Long } from "@grpc/proto-loader";

export interface Job {
  jobId?: string;
  state?: _pixellm_v1_JobState;
  /**
   * The stage a running job is in: "vision", "generation", "decoder".
   */
  stage?: string;
  /**
   * Set when SUCCEEDED.
   */
  result?: _pixellm_v1_SegmentResponse | null;
  /**
   * Set when FAILED or CANCELLED.
   */
  error?: _pixellm_v1_JobError | null;
  createdUnixMs?: number | string | Long;
  updatedUnixMs?: number | string | Long;
  deadlineUnixMs?: number | string | Long;
  /**
   * Executions so far (retries after a crash or UNAVAILABLE count).
   */
  attempts?: number;
}

export interface Job__Output {
  jobId: string;
  state: _pixellm_v1_JobState__Output;
  /**
   * The stage a running job is in: "vision", "generation", "decoder".
   */
  stage: string;
  /**
   * Set when SUCCEEDED.
   */
  result: _pixellm_v1_SegmentResponse__Output | null;
  /**
   * Set when FAILED or CANCELLED.
   */
  error: _pixellm_v1_JobError__Output | null;
  createdUnixMs: number;
  updatedUnixMs: number;
  deadlineUnixMs: number;
  /**
   * Executions so far (retries after a crash or UNAVAILABLE count).
   */
  attempts: number;
}

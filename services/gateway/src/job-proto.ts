/** JobView ↔ the public `Job` message. */
import type { Job, JobState as JobStateProto, SegmentResponse } from "@pixellm/api";
import type { JobState, JobView } from "./queue/job-queue";

const STATES: Readonly<Record<JobState, JobStateProto>> = {
  queued: "JOB_STATE_QUEUED",
  running: "JOB_STATE_RUNNING",
  succeeded: "JOB_STATE_SUCCEEDED",
  failed: "JOB_STATE_FAILED",
  cancelled: "JOB_STATE_CANCELLED",
};

export function jobMessage(view: JobView): Job {
  return {
    jobId: view.id,
    state: STATES[view.state],
    stage: view.stage ?? "",
    ...(view.result ? { result: responseOf(view) } : {}),
    ...(view.error
      ? { error: { code: view.error.code, message: view.error.message, retryable: view.error.retryable } }
      : {}),
    createdUnixMs: view.createdAt,
    updatedUnixMs: view.updatedAt,
    deadlineUnixMs: view.deadline,
    attempts: view.attempts,
  };
}

/** The stored result as the public response, with its job id. */
export function responseOf(view: JobView): SegmentResponse {
  return { ...view.result, jobId: view.id };
}

/**
 * The one vocabulary of job failures, shared by both queues, the orchestrator and the handlers:
 * how a job ends when it fails (a gRPC status, a message, whether a retry may succeed), how a
 * failure travels through BullMQ (as JSON in its failed reason) and the few failures the queues
 * themselves produce.
 */
import { status } from "@grpc/grpc-js";
import { isRetryable, statusOf } from "@pixellm/api";
import type { JobFailure } from "../job-types";

/** Thrown by a processor to fail its job with this failure (retried when it is retryable). */
export class JobFailureError extends Error {
  override name = "JobFailureError";
  constructor(readonly failure: JobFailure) {
    super(failure.message);
  }
}

/** The failure a cancelled job ends with. */
export function cancelledFailure(): JobFailure {
  return { code: status.CANCELLED, message: "the job was cancelled", retryable: false };
}

/** The failure of a job whose absolute deadline passed before it finished. */
export function deadlineFailure(): JobFailure {
  return { code: status.DEADLINE_EXCEEDED, message: "the job's deadline passed", retryable: false };
}

/**
 * What a caller waiting on a job hears when the job disappears from the store before it ends (a
 * Redis restart without persistence, an eviction): nothing says it ran, so submitting it again is
 * safe and the status says so.
 */
export function vanishedFailure(id: string): JobFailure {
  return {
    code: status.UNAVAILABLE,
    message: `job ${id} was lost by the job store before it finished; submit it again`,
    retryable: true,
  };
}

/**
 * A processor's error as the job's failure: its own JobFailure, otherwise the status the one
 * mapping gives it (a job-store outage is UNAVAILABLE with a clean message). An unexpected
 * INTERNAL error is retried too: it may be a crash of this execution, not of the job.
 */
export function failureOf(error: unknown): JobFailure {
  if (error instanceof JobFailureError) return error.failure;
  const { code, message } = statusOf(error);
  return { code, message, retryable: isRetryable(code) || code === status.INTERNAL };
}

/** A failure as BullMQ stores it (a job's failed reason is a string). */
export function serializeFailure(failure: JobFailure): string {
  return JSON.stringify(failure);
}

/** A stored failed reason back as a failure; BullMQ's own reasons (e.g. stalled too often) are retryable UNAVAILABLE. */
export function parseFailure(reason: string): JobFailure {
  try {
    const parsed = JSON.parse(reason) as Partial<JobFailure>;
    if (typeof parsed.code === "number" && typeof parsed.message === "string")
      return { code: parsed.code, message: parsed.message, retryable: parsed.retryable === true };
  } catch {
    // not one of ours
  }
  return { code: status.UNAVAILABLE, message: reason, retryable: true };
}

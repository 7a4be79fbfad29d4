/**
 * The durable job queue behind the public API: BullMQ on Redis in a deployment (jobs survive
 * gateway crashes and move to another gateway), an in-memory queue in the embedded mode. Both
 * keep the same contract, which the gateway and its tests rely on.
 */
import type { JobData, JobEvent, JobFailure, JobResult, ProgressEvent, Stage } from "../job-types";

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(["succeeded", "failed", "cancelled"]);

export interface JobView {
  readonly id: string;
  /** The tenant that submitted it (JobData.tenant); never sent to clients. */
  readonly tenant: string;
  /** JobData.fingerprint: what its idempotency key stands for. */
  readonly fingerprint: string;
  readonly state: JobState;
  readonly stage?: Stage;
  readonly result?: JobResult;
  readonly error?: JobFailure;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly deadline: number;
  /** Executions started so far. */
  readonly attempts: number;
}

/**
 * What `watch` yields: progress events while the job runs, and each new state; a succeeded job's
 * targets come as events just before its final state.
 */
export type JobUpdate =
  { readonly kind: "event"; readonly event: JobEvent } | { readonly kind: "state"; readonly view: JobView };

export interface ProcessContext {
  readonly jobId: string;
  /** 1 for the first execution, then 2, 3, … after retries and crash recoveries. */
  readonly attempt: number;
  /** Aborts when the job is cancelled (from any gateway). */
  readonly signal: AbortSignal;
  /**
   * Whether the job was cancelled, read from the store (a cancellation whose message this
   * gateway missed is still seen); aborts `signal` when it was. Checked at every stage boundary.
   */
  cancelled(): Promise<boolean>;
  report(event: ProgressEvent): Promise<void>;
  /**
   * Counts a crash of `stage` during this job in the job's own state (every gateway and
   * execution sees the same count, so a poison job is found whoever runs it); returns the count.
   */
  recordCrash(stage: string): Promise<number>;
}

/** Runs a job; throw a JobFailureError to fail it (retryable failures are retried with backoff). */
export type JobProcessor = (data: JobData, context: ProcessContext) => Promise<JobResult>;

// Processors throw JobFailureError; the rest of the failure vocabulary is job-failure.ts's.
export { JobFailureError } from "./job-failure";

/** A job that ended FAILED with a failure that submitting again may fix. */
export function failedRetryably(view: JobView): boolean {
  return view.state === "failed" && view.error?.retryable === true;
}

/** The stage a progress event belongs to. */
export function stageOf(event: JobEvent): Stage {
  return event.kind === "stage" ? event.stage : event.kind === "tokens" ? "generation" : "decoder";
}

export interface AddOptions {
  readonly id: string;
  /** 0 (default) to 9; higher first. */
  readonly priority: number;
}

/** BullMQ's job states as `pixellm_queue_jobs` reports them. */
export type QueueState = "waiting" | "prioritized" | "delayed" | "active";

export interface QueueCounts {
  /** waiting + prioritized + delayed (retries waiting for their backoff) */
  readonly queued: number;
  readonly running: number;
  readonly states: Readonly<Record<QueueState, number>>;
}

export interface JobQueue {
  /** Adds a job, or returns the existing one with that id (idempotency). */
  add(data: JobData, options: AddOptions): Promise<{ readonly view: JobView; readonly created: boolean }>;
  counts(): Promise<QueueCounts>;
  get(id: string): Promise<JobView | undefined>;
  /**
   * Runs again a job that FAILED with a retryable failure, with a fresh set of attempts and the
   * new `deadline`: what a client's resubmission with the job's idempotency key asks for (the
   * failure told it to retry, and only the same key keeps the retry from becoming a second job).
   * Undefined when the job is not (or no longer) such a failure, e.g. another gateway retried it.
   */
  retry(id: string, deadline: number): Promise<JobView | undefined>;
  /** Cancels a queued or running job; finished jobs are returned unchanged. */
  cancel(id: string): Promise<JobView | undefined>;
  /** Updates of one job until it ends (the last update is its terminal state). */
  watch(id: string, signal: AbortSignal): AsyncIterable<JobUpdate>;
  /** Starts processing jobs with up to `concurrency` at once. */
  work(processor: JobProcessor, concurrency: number): void;
  /** Stops taking new jobs and waits for running ones (or the grace period). */
  close(graceMs: number): Promise<void>;
}

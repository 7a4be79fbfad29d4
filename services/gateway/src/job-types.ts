/** What a queued job holds and what it reports while and after it runs (BullMQ data, progress, return value). */
import type { SegmentResponse, Target } from "@pixellm/api";

export interface JobData {
  readonly requestId: string;
  /** The tenant that submitted the job: only its calls see it. */
  readonly tenant: string;
  /** requestFingerprint of the request: an idempotency key reused for another request is refused. */
  readonly fingerprint: string;
  readonly imageHash: string;
  /** [H, W] of the decoded image and [h', w'] after the resize. */
  readonly original: readonly [number, number];
  readonly resized: readonly [number, number];
  readonly promptIds: readonly number[];
  readonly answerIds?: readonly number[];
  readonly maxNewTokens: number;
  readonly sampling?: { readonly temperature: number; readonly topP: number; readonly seed: number };
  /** Absolute deadline, ms since the epoch: travels with the job to every stage. */
  readonly deadline: number;
  readonly createdAt: number;
  /** W3C trace context of the request that created the job. */
  readonly trace?: Readonly<Record<string, string>>;
}

export type Stage = "vision" | "generation" | "decoder";

/** Progress a running job publishes (BullMQ job progress events). */
export type JobEvent =
  | { readonly kind: "stage"; readonly stage: Stage }
  | { readonly kind: "tokens"; readonly ids: readonly number[]; readonly total: number }
  | { readonly kind: "target"; readonly index: number; readonly target: Target };

/**
 * What a running job reports. Targets are not among them: they are part of the result, which is
 * stored once, and watchers hear them from it when the job succeeds (so masks never travel
 * through the queue's event stream).
 */
export type ProgressEvent = Exclude<JobEvent, { readonly kind: "target" }>;

/** The stored result: the response without its job id (added when read). */
export type JobResult = Omit<SegmentResponse, "jobId">;

/** A failure as stored with the job: the gRPC status it ends with. */
export interface JobFailure {
  readonly code: number;
  readonly message: string;
  readonly retryable: boolean;
}

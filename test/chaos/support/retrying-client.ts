/**
 * One logical request as a careful client sends it through a deployment that is being killed
 * around it: SubmitJob with the request's idempotency key, then WatchJob until the job ends.
 * On a retryable status (UNAVAILABLE and the other codes `isRetryable` names, or the client's own
 * per-call timeout when a gateway froze), on a watch cut short, on a job that vanished
 * (NOT_FOUND), or on a job that ended with a retryable failure, it submits again with the SAME
 * key against the other gateway, so a retry can never create a second job for the request.
 */
import { status } from "@grpc/grpc-js";
import type { Job__Output } from "@pixellm/api";
import { isRetryable } from "@pixellm/api";
import type { PixelLMClient, SegmentInput } from "@pixellm/client";

export interface RequestOutcome {
  readonly key: string;
  /** The job id every accepted submission returned (the key names one job). */
  readonly jobIds: ReadonlySet<string>;
  /** SubmitJob answered OK at least once. */
  readonly accepted: boolean;
  /**
   * succeeded; failed: a terminal failure the client may not retry; rejected: a submission
   * refused with a non-retryable status; unfinished: still retrying when time ran out.
   */
  readonly end: "succeeded" | "failed" | "rejected" | "unfinished";
  /** The succeeded job as the client received it. */
  readonly job?: Job__Output;
  readonly error?: { readonly code: number; readonly message: string };
  /** Submissions after the first. */
  readonly retries: number;
  /** Why each retry happened, e.g. "submit UNAVAILABLE", "vanished", "job failed UNAVAILABLE". */
  readonly retryReasons: readonly string[];
  /** The message of each retry's error, in the same order. */
  readonly retryMessages: readonly string[];
}

export interface RetryOptions {
  /** The request is abandoned (counted unfinished) after this time. */
  readonly giveUpAt: number;
  /** The job's own deadline (absolute). */
  readonly jobDeadline: number;
  /** Timeout of each SubmitJob call, and of each WatchJob stream before it is reopened. */
  readonly callTimeoutMs: number;
  readonly watchTimeoutMs: number;
  readonly backoffMs: number;
}

const TERMINAL = new Set(["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"]);

/** How one look at the job ended. */
type Followed =
  | { readonly kind: "ended"; readonly job: Job__Output }
  | { readonly kind: "retry"; readonly reason: string; readonly message: string }
  | { readonly kind: "fatal"; readonly code: number; readonly message: string };

export async function sendUntilDone(
  clients: readonly PixelLMClient[],
  first: number,
  key: string,
  request: SegmentInput,
  options: RetryOptions,
): Promise<RequestOutcome> {
  const jobIds = new Set<string>();
  const retryReasons: string[] = [];
  const retryMessages: string[] = [];
  let accepted = false;
  const outcome = (
    rest: Pick<RequestOutcome, "end"> & Partial<Pick<RequestOutcome, "job" | "error">>,
  ): RequestOutcome => ({
    key,
    jobIds,
    accepted,
    retries: retryReasons.length,
    retryReasons,
    retryMessages,
    ...rest,
  });
  for (let attempt = 0; Date.now() < options.giveUpAt; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, options.backoffMs));
    const client = clients[(first + attempt) % clients.length]!;
    let jobId: string;
    try {
      const job = await client.submitJob(request, {
        idempotencyKey: key,
        deadlineUnixMs: options.jobDeadline,
        timeoutMs: options.callTimeoutMs,
      });
      accepted = true;
      jobIds.add(job.jobId);
      jobId = job.jobId;
    } catch (error) {
      const { code, message } = callError(error);
      if (!retryableCall(code)) return outcome({ end: "rejected", error: { code, message } });
      retryReasons.push(`submit ${status[code]}`);
      retryMessages.push(message);
      continue;
    }
    const followed = await follow(client, jobId, options.watchTimeoutMs);
    if (followed.kind === "fatal")
      return outcome({ end: "failed", error: { code: followed.code, message: followed.message } });
    if (followed.kind === "retry") {
      retryReasons.push(followed.reason);
      retryMessages.push(followed.message);
      continue;
    }
    const job = followed.job;
    if (job.state === "JOB_STATE_SUCCEEDED") return outcome({ end: "succeeded", job });
    const code = job.error?.code ?? status.UNKNOWN;
    if (job.state === "JOB_STATE_FAILED" && isRetryable(code)) {
      retryReasons.push(`job failed ${status[code]}`);
      retryMessages.push(job.error?.message ?? "");
      continue;
    }
    return outcome({ end: "failed", error: { code, message: job.error?.message ?? job.state } });
  }
  return outcome({ end: "unfinished" });
}

/** Watches the job on one gateway until it ends, the stream breaks, or the job is unknown. */
async function follow(client: PixelLMClient, jobId: string, timeoutMs: number): Promise<Followed> {
  try {
    for await (const job of client.watchJob(jobId, { timeoutMs }))
      if (TERMINAL.has(job.state)) return { kind: "ended", job };
    return { kind: "retry", reason: "watch ended early", message: "" };
  } catch (error) {
    const { code, message } = callError(error);
    if (code === status.NOT_FOUND) return { kind: "retry", reason: "vanished", message };
    if (retryableCall(code)) return { kind: "retry", reason: `watch ${status[code]}`, message };
    return { kind: "fatal", code, message };
  }
}

/** Retryable per the status mapping, or the client's own timeout of one call. */
function retryableCall(code: status): boolean {
  return isRetryable(code) || code === status.DEADLINE_EXCEEDED;
}

function callError(error: unknown): { code: status; message: string } {
  const e = error as { code?: status; details?: string; message?: string };
  return { code: e.code ?? status.UNKNOWN, message: e.details ?? e.message ?? String(error) };
}

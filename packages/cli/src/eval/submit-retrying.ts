/**
 * Submitting a question's job, again after a retryable refusal: a queue that is full, or the
 * tenant's limit on concurrent jobs (maxConcurrentJobs) reached when --concurrency is above it,
 * is a reason to wait, not to score the question as failed.
 */
import { isRetryable, isServiceError } from "@pixellm/api";

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 4000;

/** Calls `submit` until it succeeds, fails for good, or the next try would start after `deadline`. */
export async function submitRetrying<T>(submit: () => Promise<T>, deadline: number): Promise<T> {
  for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(2 * backoff, MAX_BACKOFF_MS)) {
    try {
      return await submit();
    } catch (error) {
      if (!isServiceError(error) || !isRetryable(error.code) || Date.now() + backoff >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}

/**
 * The refusal of a stage whose bounded queue is full. It is about load, not the request: the
 * caller (the gateway) may send the same request again, to another replica or after the pause
 * it carries, and a job with time left on its deadline waits rather than failing.
 */
import { EngineError } from "./engine-error";

/**
 * The pause a full stage asks for: about one batch or decode step on a GPU, so a slot is likely
 * free by then; callers back off from it when the stage is still full.
 */
export const QUEUE_FULL_RETRY_AFTER_MS = 100;

/** `queue` names the queue ("stage", "generation"); `limit` is how many may wait. */
export function queueFullError(queue: string, limit: number): EngineError {
  return new EngineError("resource_exhausted", `the ${queue} queue is full (${limit} waiting); retry later`, {
    retryAfterMs: QUEUE_FULL_RETRY_AFTER_MS,
  });
}

/** The one log line of an execution-provider fallback, for every stage's model loader. */
import type { Logger } from "./logger";

export interface ProviderFallback {
  readonly graph: string;
  readonly requested: string;
  readonly reason: string;
}

/** An `onFallback` callback for `openSessions` that logs the fallback as a warning. */
export function logProviderFallback(logger: Logger): (event: ProviderFallback) => void {
  return (event) =>
    logger.warn("execution provider unavailable; using cpu", {
      graph: event.graph,
      requested: event.requested,
      reason: event.reason,
    });
}

/**
 * Following one job: its current state first, then progress events and state changes as they
 * are announced, with polling as the fallback for announcements that never arrive. A job that
 * disappears before it ends is reported as failed with a retryable status (vanishedFailure).
 */
import { vanishedFailure } from "./job-failure";
import { type JobQueue, type JobUpdate, type JobView, TERMINAL_STATES } from "./job-queue";

/** An announcement: an update to pass on, or "changed" (re-read the job's state). */
export type Announcement = JobUpdate | "changed";

/** The listeners of each job's announcements: what a queue hands `WatchSource.subscribe`. */
export class Announcements {
  private readonly listeners = new Map<string, Set<(announcement: Announcement) => void>>();

  subscribe(id: string, listener: (announcement: Announcement) => void): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(id);
    };
  }

  announce(id: string, announcement: Announcement): void {
    for (const listener of this.listeners.get(id) ?? []) listener(announcement);
  }
}

export interface WatchSource {
  get(id: string): Promise<JobView | undefined>;
  subscribe(id: string, listener: (announcement: Announcement) => void): () => void;
  readonly pollMs: number;
}

export async function* watchUpdates(
  id: string,
  signal: AbortSignal,
  source: WatchSource,
): AsyncGenerator<JobUpdate> {
  const pending: Announcement[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = source.subscribe(id, (announcement) => {
    pending.push(announcement);
    wake?.();
  });
  try {
    let last = await source.get(id);
    if (!last) return;
    yield* withTargets(last);
    while (!TERMINAL_STATES.has(last.state) && !signal.aborted) {
      if (pending.length === 0) await nextWake(source.pollMs, signal, (resolve) => (wake = resolve));
      wake = undefined;
      const batch = pending.splice(0);
      for (const announcement of batch) if (announcement !== "changed") yield announcement;
      if (batch.length > 0 && !batch.includes("changed")) continue;
      const view = await source.get(id);
      if (!view) {
        // Gone before it ended (a Redis restart without persistence): retryable, and said so.
        yield {
          kind: "state",
          view: { ...last, state: "failed", error: vanishedFailure(id), updatedAt: Date.now() },
        };
        return;
      }
      if (view.state !== last.state || view.stage !== last.stage) yield* withTargets(view);
      last = view;
    }
  } finally {
    unsubscribe();
  }
}

/** A state update, preceded by the targets of a succeeded job's result. */
function* withTargets(view: JobView): Generator<JobUpdate> {
  if (view.state === "succeeded")
    for (const [index, target] of (view.result?.targets ?? []).entries())
      yield { kind: "event", event: { kind: "target", index, target } };
  yield { kind: "state", view };
}

function nextWake(
  pollMs: number,
  signal: AbortSignal,
  register: (resolve: () => void) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, pollMs);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
    register(done);
  });
}

/** Waits until the job ends; undefined when it is unknown or `signal` aborts first. */
export async function waitForEnd(
  queue: JobQueue,
  id: string,
  signal: AbortSignal,
): Promise<JobView | undefined> {
  for await (const update of queue.watch(id, signal)) {
    if (update.kind === "state" && TERMINAL_STATES.has(update.view.state)) return update.view;
  }
  return undefined;
}

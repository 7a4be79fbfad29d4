/**
 * The worker side of startWorker: opens whatever the worker serves, answers `{ ready: info }`
 * (or `{ failed }` with the error's engine code), then serves the target's methods.
 */
import { parentPort } from "node:worker_threads";
import { EngineError } from "@pixellm/errors";
import { serveCalls } from "./calls";
import type { WorkerOpened } from "./start-worker";

export function serveWorker<Info>(
  open: () => Promise<{ readonly target: object; readonly info: Info }>,
): void {
  const port = parentPort;
  if (!port) throw new Error("serveWorker runs in a worker thread");
  open().then(
    ({ target, info }) => {
      serveCalls(port, target);
      port.postMessage({ ready: info } satisfies WorkerOpened<Info>);
    },
    (error: unknown) =>
      port.postMessage({
        failed: {
          message: error instanceof Error ? error.message : String(error),
          ...(error instanceof EngineError ? { code: error.code } : {}),
        },
      } satisfies WorkerOpened<Info>),
  );
}

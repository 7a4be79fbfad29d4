/**
 * Starting a worker thread whose entry module sits next to its starter, named as CONTRIBUTING.md
 * says: `new URL("./x-entry.ts", import.meta.url)`, which the build rewrites to `./x-entry.js`.
 * A compiled entry runs on plain Node (no tsx in production). A `.ts` entry (vitest, tsx) first
 * registers tsx's loader in the worker, because vitest's workers inherit none, and resolves the
 * workspace to its sources like its entry. The entry answers once with `{ ready }` or
 * `{ failed }` (see serveWorker), then serves calls.
 */
import { Worker } from "node:worker_threads";
import { EngineError, type EngineErrorCode } from "@pixellm/errors";
import { CallClient } from "./calls";

/** The worker's first message. */
export type WorkerOpened<Info> =
  | { readonly ready: Info }
  | { readonly failed: { readonly message: string; readonly code?: EngineErrorCode } };

export interface StartedWorker<Info> {
  readonly worker: Worker;
  readonly client: CallClient;
  readonly info: Info;
}

/** Starts `entry` with `workerData` and waits for it to open. */
export async function startWorker<Info>(
  entry: URL,
  workerData: unknown,
  name: string,
): Promise<StartedWorker<Info>> {
  const worker = entry.pathname.endsWith(".ts")
    ? new Worker(fromSource(entry), { workerData, name, execArgv: [...process.execArgv, FROM_SOURCES] })
    : new Worker(entry, { workerData, name });
  const opened = await firstMessage<Info>(worker, name);
  if ("failed" in opened) {
    await worker.terminate();
    throw new EngineError(opened.failed.code ?? "internal", opened.failed.message);
  }
  const client = new CallClient(worker);
  const gone = (reason: string) =>
    client.failAll(new EngineError("unavailable", `the ${name} worker ${reason}`));
  worker.on("error", (error) => gone(`failed: ${error.message}`));
  worker.on("exit", (code) => gone(`exited (${code})`));
  return { worker, client, info: opened.ready };
}

/** The worker's "opened" message, or why it never came. */
async function firstMessage<Info>(worker: Worker, name: string): Promise<WorkerOpened<Info>> {
  // Only these listeners come off afterwards: Worker keeps listeners of its own on itself.
  let settle:
    | { message: (m: WorkerOpened<Info>) => void; error: (e: Error) => void; exit: (code: number) => void }
    | undefined;
  try {
    return await new Promise<WorkerOpened<Info>>((resolve, reject) => {
      settle = {
        message: resolve,
        error: reject,
        exit: (code) =>
          reject(new EngineError("internal", `the ${name} worker exited (${code}) before it opened`)),
      };
      worker.once("message", settle.message).once("error", settle.error).once("exit", settle.exit);
    });
  } catch (error) {
    await worker.terminate();
    throw error;
  } finally {
    if (settle) worker.off("message", settle.message).off("error", settle.error).off("exit", settle.exit);
  }
}

// scripts/build/entry-points.ts SOURCE_CONDITION: workspace imports resolve to their sources.
const FROM_SOURCES = "--conditions=@pixellm/source";

function fromSource(entry: URL): URL {
  const boot = `import { register } from ${JSON.stringify(import.meta.resolve("tsx/esm/api"))};
register();
await import(${JSON.stringify(entry.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

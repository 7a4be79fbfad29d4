/**
 * Starts a stage worker thread (stage-worker-entry) and talks to it. The entry is resolved next
 * to this module with this module's own extension: `.js` once compiled (plain Node), `.ts` when
 * run from sources (vitest, tsx), where the worker first registers tsx's loader itself because
 * workers do not inherit it.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { EngineError, type EngineErrorCode } from "@pixellm/errors";
import type { ExecutionProvider } from "../runtime/model-session";
import { CallClient } from "./rpc";
import {
  type ProviderFallback,
  RELEASE_METHOD,
  type StageWorkerSpec,
  type WorkerOpened,
  type WorkerStage,
  stageMethod,
} from "./stage-worker-spec";

/** A running worker thread, shared by the stages it hosts; it stops when the last of them closes. */
export class StageWorker {
  private open: number;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly client: CallClient,
    private readonly providers: Readonly<Partial<Record<WorkerStage, ExecutionProvider>>>,
    stages: number,
  ) {
    this.open = stages;
  }

  static async start(
    spec: StageWorkerSpec,
    onFallback?: (event: ProviderFallback) => void,
  ): Promise<StageWorker> {
    const name = spec.stages.join("+");
    const worker = new Worker(entryUrl(), { workerData: spec, name: `pixellm-${name}` });
    const opened = await firstMessage(worker, name);
    if ("failed" in opened) {
      await worker.terminate();
      throw new EngineError(
        (opened.failed.code as EngineErrorCode | undefined) ?? "model_load",
        opened.failed.message,
      );
    }
    for (const event of opened.ready.fallbacks) onFallback?.(event);
    const client = new CallClient(worker);
    const gone = (reason: string) =>
      client.failAll(new EngineError("unavailable", `the ${name} worker ${reason}`));
    worker.on("error", (error) => gone(`failed: ${error.message}`));
    worker.on("exit", (code) => gone(`exited (${code})`));
    return new StageWorker(worker, client, opened.ready.providers, spec.stages.length);
  }

  /** The provider a stage's sessions got (cpu after a fallback). */
  provider(stage: WorkerStage): ExecutionProvider {
    return this.providers[stage] ?? "cpu";
  }

  call<T>(stage: WorkerStage, method: string, args: readonly unknown[]): Promise<T> {
    return this.client.call(stageMethod(stage, method), args);
  }

  /**
   * One of its stages is done; the last one releases the sessions and stops the thread (a
   * thread stopped with device sessions still open takes the process down).
   */
  close(): Promise<void> {
    this.open--;
    if (this.open > 0) return Promise.resolve();
    this.closing ??= this.client
      .call(RELEASE_METHOD, [])
      .catch(() => undefined)
      .then(() => this.worker.terminate())
      .then(() => undefined);
    return this.closing;
  }
}

/** The worker's "opened" message, or why it never came. */
async function firstMessage(worker: Worker, name: string): Promise<WorkerOpened> {
  // Only these listeners come off afterwards: Worker keeps listeners of its own on itself.
  let settle:
    | { message: (m: WorkerOpened) => void; error: (e: Error) => void; exit: (code: number) => void }
    | undefined;
  try {
    return await new Promise<WorkerOpened>((resolve, reject) => {
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

function entryUrl(): URL {
  const self = fileURLToPath(import.meta.url);
  const entry = new URL(`./stage-worker-entry${path.extname(self)}`, import.meta.url);
  if (path.extname(self) !== ".ts") return entry;
  const boot = `import { register } from ${JSON.stringify(import.meta.resolve("tsx/esm/api"))};
register();
await import(${JSON.stringify(entry.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

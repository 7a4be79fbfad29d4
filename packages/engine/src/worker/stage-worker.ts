/**
 * A stage worker thread (stage-worker-entry) shared by the stages it hosts: calls go to
 * "<stage>.<method>", and it stops when the last of its stages closes.
 */
import type { Worker } from "node:worker_threads";
import { type CallClient, startWorker } from "@pixellm/workers";
import type { ExecutionProvider } from "../runtime/model-session";
import {
  type ProviderFallback,
  RELEASE_METHOD,
  type StageWorkerSpec,
  type WorkerReady,
  type WorkerStage,
  stageMethod,
} from "./stage-worker-spec";

export class StageWorker {
  private open: number;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly client: CallClient,
    private readonly providers: WorkerReady["providers"],
    stages: number,
  ) {
    this.open = stages;
  }

  static async start(
    spec: StageWorkerSpec,
    onFallback?: (event: ProviderFallback) => void,
  ): Promise<StageWorker> {
    const name = `pixellm-${spec.stages.join("+")}`;
    const { worker, client, info } = await startWorker<WorkerReady>(
      new URL("./stage-worker-entry.ts", import.meta.url),
      spec,
      name,
    );
    for (const event of info.fallbacks) onFallback?.(event);
    return new StageWorker(worker, client, info.providers, spec.stages.length);
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

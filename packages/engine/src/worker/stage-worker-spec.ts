/** What a stage worker is told to open, and what it answers once it has (both cross the thread boundary). */
import type { BundleVerification } from "@pixellm/bundle";
import type { ExecutionProvider } from "../runtime/model-session";

export type WorkerStage = "vision" | "decoder" | "llm";

export interface StageWorkerSpec {
  /**
   * The stages this thread runs. One per thread on cpu; all of a process's stages share one
   * thread on a GPU provider, whose device takes runs from one thread at a time (onnxruntime-node
   * 1.30 crashes when two threads run webgpu sessions at once).
   */
  readonly stages: readonly WorkerStage[];
  readonly bundleDir: string;
  /** The owner verified the bundle already; "size" keeps the worker from hashing it again. */
  readonly verify: BundleVerification;
  readonly provider: ExecutionProvider;
  readonly intraOpThreads?: number;
  readonly spinning?: boolean;
  /** llm: KV positions the running batch may hold (the host cache is allocated for it). */
  readonly kvCapacityTokens?: number;
}

export interface ProviderFallback {
  readonly graph: string;
  readonly requested: ExecutionProvider;
  readonly reason: string;
}

/** What a stage worker answers once it is open: the provider each stage's sessions got. */
export interface WorkerReady {
  readonly providers: Readonly<Partial<Record<WorkerStage, ExecutionProvider>>>;
  readonly fallbacks: readonly ProviderFallback[];
}

/** The method that releases a worker's sessions before it is stopped. */
export const RELEASE_METHOD = "release";

/** The method name of a stage's call, e.g. "llm.step". */
export const stageMethod = (stage: WorkerStage, method: string) => `${stage}.${method}`;

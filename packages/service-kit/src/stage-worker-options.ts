/**
 * How a stage's worker threads are started, from its settings: the bundle (already verified by
 * the process, so the worker only checks sizes), the provider, threads, and a logged fallback.
 * The shape of the engine's WorkerOptions, which this package does not import.
 */
import type { Logger } from "./logger";
import { type ProviderFallback, logProviderFallback } from "./provider-fallback";

export interface StageWorkerSettings {
  readonly bundle: string;
  readonly provider: "cpu" | "webgpu" | "cuda";
  readonly intraOpThreads: number;
}

export function stageWorkerOptions(config: StageWorkerSettings, logger: Logger) {
  return {
    bundleDir: config.bundle,
    verify: "size" as const,
    provider: config.provider,
    ...(config.intraOpThreads ? { intraOpThreads: config.intraOpThreads } : {}),
    onFallback: (event: ProviderFallback) => logProviderFallback(logger)(event),
  };
}

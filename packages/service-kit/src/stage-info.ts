/** The `Info` answer of a stage replica: model identity, provider, limits and batch counters. */
import type { StageInfo } from "@pixellm/api";
import type { LoadedBundle } from "@pixellm/bundle";
import type { BatcherStats } from "./dynamic-batcher";

export interface StageLimits {
  readonly maxBatchSize: number;
  readonly maxBatchDelayMs?: number;
  readonly kvBudgetTokens?: number;
}

/** Batch counters as StageInfo.stats reports them (LLM: batches are decode steps). */
export interface StageCounters extends Omit<BatcherStats, "maxBatchSizeSeen"> {
  readonly maxBatchSizeSeen?: number;
  readonly prefillBatches?: number;
  readonly prefillItems?: number;
}

export function stageInfo(
  stage: string,
  bundle: LoadedBundle,
  provider: string,
  stats: StageCounters,
  limits: StageLimits,
): StageInfo {
  return {
    stage,
    model: bundle.manifest.name,
    modelDigest: bundle.digest,
    dtype: bundle.manifest.dtype,
    executionProvider: provider,
    hiddenSize: bundle.manifest.config.hidden_size,
    outDim: bundle.manifest.config.out_dim,
    maxBatchSize: limits.maxBatchSize,
    maxBatchDelayMs: limits.maxBatchDelayMs ?? 0,
    kvBudgetTokens: limits.kvBudgetTokens ?? 0,
    stats: {
      batches: stats.batches,
      items: stats.items,
      meanBatchSize: stats.batches > 0 ? stats.items / stats.batches : 0,
      maxBatchSizeSeen: stats.maxBatchSizeSeen ?? 0,
      prefillBatches: stats.prefillBatches ?? 0,
      prefillItems: stats.prefillItems ?? 0,
      deadlineExceeded: stats.deadlineExceeded,
      cancelled: stats.cancelled,
      rejected: stats.rejected,
      failed: stats.failed,
      queued: stats.queued,
      running: stats.running,
    },
  };
}

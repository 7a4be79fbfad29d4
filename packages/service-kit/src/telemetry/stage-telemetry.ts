/**
 * The metrics every stage replica reports from its own counters: queue depth (queued +
 * running), shed and deadline-exceeded totals, read at scrape time from the batcher's or
 * scheduler's statistics (the numbers `Info` reports), and the batches it ran.
 */
import type { BatchRun } from "../dynamic-batcher";
import type { StageCounters } from "../stage-info";
import { recordBatch } from "./batch-telemetry";
import { instruments, observe } from "./instruments";

export interface StageTelemetry {
  /** The dynamic batcher's `onBatch`: metrics and spans of each executed batch. */
  readonly onBatch: (batch: BatchRun) => void;
  /** Stops reporting (the stage stopped). */
  close(): void;
}

export function stageTelemetry(stage: string, stats: () => StageCounters): StageTelemetry {
  const metrics = instruments();
  const labels = { stage };
  const removers = [
    observe(metrics.stageQueueDepth, (report) => {
      const s = stats();
      report(s.queued + s.running, labels);
    }),
    observe(metrics.shed, (report) => report(stats().rejected, labels)),
    observe(metrics.deadlineExceeded, (report) => report(stats().deadlineExceeded, labels)),
  ];
  return {
    onBatch: (batch) => recordBatch({ stage, phase: "batch", ...batch }),
    close: () => removers.forEach((remove) => remove()),
  };
}

/** Model load and warm-up time of a stage, reported once it is SERVING. */
export function recordModelLoad(stage: string, loadMs: number, warmUpMs: number): void {
  const metrics = instruments();
  metrics.modelLoad.record(loadMs / 1000, { stage });
  metrics.modelWarmUp.record(warmUpMs / 1000, { stage });
}

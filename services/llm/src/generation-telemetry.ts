/**
 * The generation stage's telemetry: each prefill run and decode step as a batch (metrics, and a
 * span linking to the requests it served), time to the first token and to the first codebook
 * (SEG) token, generated tokens, and KV cache use against its budget. The scheduler knows
 * nothing of tracing: requests are mapped to their trace context here.
 */
import type { Context } from "@opentelemetry/api";
import type { GenerationRequest, SchedulerRun, SchedulerStats } from "@pixellm/engine";
import { type StageCounters, instruments, observe, recordBatch, stageTelemetry } from "@pixellm/service-kit";

const STAGE = "llm";

export class GenerationTelemetry {
  private readonly traces = new WeakMap<GenerationRequest, Context>();
  private readonly metrics = instruments();
  private readonly removers: (() => void)[] = [];

  constructor(private readonly segIds: ReadonlySet<number>) {}

  /** Starts the scrape-time readings of the scheduler's statistics. */
  observe(counters: () => StageCounters, stats: () => SchedulerStats, kvBudgetTokens: number): void {
    const stage = stageTelemetry(STAGE, counters);
    this.removers.push(
      () => stage.close(),
      observe(this.metrics.kvTokens, (report) => report(stats().kvTokens)),
      observe(this.metrics.kvBudget, (report) => report(kvBudgetTokens)),
      observe(this.metrics.kvUsage, (report) => report(stats().kvTokens / kvBudgetTokens)),
    );
  }

  /** The scheduler's `onRun`. */
  readonly onRun = (run: SchedulerRun): void =>
    recordBatch({
      stage: STAGE,
      phase: run.phase,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      items: run.rows.map((row) => {
        const trace = this.traces.get(row.request);
        return {
          ...(trace ? { trace } : {}),
          ...(row.enqueuedAt !== undefined ? { enqueuedAt: row.enqueuedAt } : {}),
        };
      }),
    });

  /** Remembers the trace a request belongs to (its Generate call's span). */
  track(request: GenerationRequest, trace: Context): void {
    this.traces.set(request, trace);
  }

  /** A per-call token observer: counts tokens and times the first one and the first SEG one. */
  tokens(arrivedAt: number): (token: number) => void {
    let first = true;
    let firstCodebook = true;
    return (token) => {
      this.metrics.generatedTokens.add(1);
      const seconds = (performance.now() - arrivedAt) / 1000;
      if (first) {
        first = false;
        this.metrics.timeToFirstToken.record(seconds);
      }
      if (firstCodebook && this.segIds.has(token)) {
        firstCodebook = false;
        this.metrics.timeToFirstCodebookToken.record(seconds);
      }
    };
  }

  close(): void {
    for (const remove of this.removers.splice(0)) remove();
  }
}

/**
 * What one executed batch leaves behind: its metrics, one span for the batch, and one queue-wait
 * span per item. A batch serves many requests of many traces, so its span is a root of its own
 * that *links* to each request's span (OpenTelemetry's batching pattern) instead of adopting one
 * of them; each request gets a child span for the time it waited for the batch. Spans are made
 * from recorded times once the batch has run, so the batching code itself stays untraced.
 */
import { type Context, type Link, isSpanContextValid, trace } from "@opentelemetry/api";
import { tracer } from "./context";
import { instruments } from "./instruments";

export type BatchPhase = "batch" | "prefill" | "decode";

export interface BatchItem {
  /** The context of the request the item belongs to (its server span is active in it). */
  readonly trace?: Context;
  /** When the item entered the queue (ms since the epoch), when this batch ended its wait. */
  readonly enqueuedAt?: number;
}

export interface ExecutedBatch {
  /** "vision-encoder", "llm", "pixel-decoder". */
  readonly stage: string;
  readonly phase: BatchPhase;
  /** ms since the epoch */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly items: readonly BatchItem[];
}

export function recordBatch(batch: ExecutedBatch): void {
  const { stage, phase, startedAt, endedAt, items } = batch;
  const metrics = instruments();
  metrics.stageBatchSize.record(items.length, { stage, phase });
  metrics.stageBatchSeconds.record((endedAt - startedAt) / 1000, { stage, phase });
  const links: Link[] = [];
  for (const item of items) {
    if (item.enqueuedAt !== undefined)
      metrics.stageQueueWait.record(Math.max(0, startedAt - item.enqueuedAt) / 1000, { stage });
    const requestSpan = item.trace ? trace.getSpanContext(item.trace) : undefined;
    if (!requestSpan || !isSpanContextValid(requestSpan)) continue;
    links.push({ context: requestSpan });
    if (item.enqueuedAt !== undefined)
      tracer()
        .startSpan(
          `${stage} queue wait`,
          { startTime: item.enqueuedAt, attributes: { "pixellm.stage": stage } },
          item.trace,
        )
        .end(startedAt);
  }
  tracer()
    .startSpan(`${stage} ${phase}`, {
      root: true,
      startTime: startedAt,
      links,
      attributes: {
        "pixellm.stage": stage,
        "pixellm.batch.phase": phase,
        "pixellm.batch.size": items.length,
      },
    })
    .end(endedAt);
}

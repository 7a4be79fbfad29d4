/**
 * Triton-style dynamic batching as a plain policy object (no gRPC, no model): requests queue;
 * a batch runs when `maxBatchSize` items wait or the oldest has waited `maxDelayMs`; one batch
 * runs at a time (the stage's graph owns the cores or the GPU). The queue is bounded; items
 * whose deadline passed or whose signal aborted leave before they cost any compute. Each item
 * gets its own outcome: a neighbour's failure is never its own.
 */
import type { Context } from "@opentelemetry/api";
import { EngineError, queueFullError } from "@pixellm/errors";

export interface BatcherOptions {
  readonly maxBatchSize: number;
  readonly maxDelayMs: number;
  /** Items waiting at most; beyond it submissions fail at once with resource_exhausted. */
  readonly maxQueue: number;
}

export interface ItemContext {
  /** Absolute deadline, ms since the epoch. */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  /** The request's trace context, handed back in `onBatch` (batch spans link to it). */
  readonly trace?: Context;
}

/** One executed batch as `onBatch` sees it (times in ms since the epoch). */
export interface BatchRun {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly items: readonly { readonly enqueuedAt: number; readonly trace?: Context }[];
}

/** Runs one batch: one result or Error per item, in order. */
export type BatchExecutor<I, R> = (items: readonly I[]) => Promise<readonly (R | Error)[]>;

export interface BatcherStats {
  readonly batches: number;
  readonly items: number;
  readonly maxBatchSizeSeen: number;
  readonly deadlineExceeded: number;
  readonly cancelled: number;
  readonly rejected: number;
  readonly failed: number;
  readonly queued: number;
  readonly running: number;
}

interface Pending<I, R> {
  readonly item: I;
  readonly context: ItemContext;
  readonly enqueuedAt: number;
  readonly resolve: (result: R) => void;
  readonly reject: (error: Error) => void;
  settled: boolean;
}

export class DynamicBatcher<I, R> {
  private readonly queue: Pending<I, R>[] = [];
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private idle: (() => void)[] = [];
  private counters = {
    batches: 0,
    items: 0,
    maxBatchSizeSeen: 0,
    deadlineExceeded: 0,
    cancelled: 0,
    rejected: 0,
    failed: 0,
  };

  constructor(
    readonly options: BatcherOptions,
    private readonly execute: BatchExecutor<I, R>,
    /** Called after each batch has run, for metrics and spans. */
    private readonly onBatch?: (batch: BatchRun) => void,
  ) {}

  submit(item: I, context: ItemContext = {}): Promise<R> {
    if (this.closed)
      return Promise.reject(
        new EngineError("unavailable", "the stage is draining; retry on another replica"),
      );
    if (this.queue.length >= this.options.maxQueue) {
      this.counters.rejected++;
      return Promise.reject(queueFullError("stage", this.options.maxQueue));
    }
    if (context.deadline !== undefined && Date.now() >= context.deadline) {
      this.counters.deadlineExceeded++;
      return Promise.reject(
        new EngineError("deadline_exceeded", "the deadline passed before the request was queued"),
      );
    }
    return new Promise<R>((resolve, reject) => {
      const pending: Pending<I, R> = {
        item,
        context,
        enqueuedAt: Date.now(),
        resolve,
        reject,
        settled: false,
      };
      context.signal?.addEventListener("abort", () => this.abort(pending), { once: true });
      this.queue.push(pending);
      this.schedule();
    });
  }

  stats(): BatcherStats {
    return { ...this.counters, queued: this.queue.length, running: this.running };
  }

  /** Refuses new items and resolves once everything queued or running has finished. */
  drain(): Promise<void> {
    this.closed = true;
    this.schedule();
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.running > 0 || this.queue.length === 0) {
      this.notifyIdle();
      return;
    }
    const oldest = this.queue[0]!.enqueuedAt;
    const wait = oldest + this.options.maxDelayMs - Date.now();
    if (this.queue.length >= this.options.maxBatchSize || wait <= 0 || this.closed) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.runBatch();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
    }
  }

  private async runBatch(): Promise<void> {
    const batch: Pending<I, R>[] = [];
    const now = Date.now();
    while (this.queue.length > 0 && batch.length < this.options.maxBatchSize) {
      const next = this.queue.shift()!;
      if (next.context.deadline !== undefined && now >= next.context.deadline) {
        this.counters.deadlineExceeded++;
        this.settle(
          next,
          new EngineError(
            "deadline_exceeded",
            `the deadline passed after ${now - next.enqueuedAt} ms in the stage queue`,
          ),
        );
        continue;
      }
      batch.push(next);
    }
    if (batch.length === 0) {
      this.schedule();
      return;
    }
    this.running = batch.length;
    this.counters.batches++;
    this.counters.items += batch.length;
    this.counters.maxBatchSizeSeen = Math.max(this.counters.maxBatchSizeSeen, batch.length);
    const started = Date.now();
    let outcomes: readonly (R | Error)[];
    try {
      outcomes = await this.execute(batch.map((p) => p.item));
    } catch (error) {
      outcomes = batch.map(() => (error instanceof Error ? error : new Error(String(error))));
    }
    this.onBatch?.({
      startedAt: started,
      endedAt: Date.now(),
      items: batch.map((p) => ({
        enqueuedAt: p.enqueuedAt,
        ...(p.context.trace ? { trace: p.context.trace } : {}),
      })),
    });
    batch.forEach((pending, i) => {
      const outcome =
        outcomes[i] ?? new EngineError("internal", "the stage returned no result for this item");
      if (outcome instanceof Error) this.counters.failed++;
      this.settle(pending, outcome);
    });
    this.running = 0;
    this.schedule();
  }

  private abort(pending: Pending<I, R>): void {
    const at = this.queue.indexOf(pending);
    if (at < 0) return; // already running: its result is simply not awaited
    this.queue.splice(at, 1);
    this.counters.cancelled++;
    this.settle(pending, new EngineError("cancelled", "the request was cancelled while queued"));
    this.schedule();
  }

  private settle(pending: Pending<I, R>, outcome: R | Error): void {
    if (pending.settled) return;
    pending.settled = true;
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  private notifyIdle(): void {
    if (this.queue.length > 0 || this.running > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}

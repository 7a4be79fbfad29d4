/**
 * The job queue of the embedded mode: the BullMQ contract (priorities, idempotent ids, retries
 * with exponential backoff for retryable failures, cancellation, result TTL) in memory, for one
 * process and no Redis. Jobs do not survive the process.
 */
import { status } from "@grpc/grpc-js";
import type { JobData, JobFailure, ProgressEvent } from "../job-types";
import { cancelledFailure, failureOf } from "./job-failure";
import {
  type AddOptions,
  type JobProcessor,
  type JobQueue,
  type JobUpdate,
  type JobView,
  type QueueCounts,
  TERMINAL_STATES,
  failedRetryably,
  stageOf,
} from "./job-queue";
import { Announcements, watchUpdates } from "./watch";

interface MemoryJob {
  view: JobView;
  data: JobData;
  /** Executions started before the current set of attempts (a client's retry starts a new set). */
  attemptsBefore: number;
  readonly priority: number;
  readonly sequence: number;
  controller?: AbortController;
  /** Crashes per stage (see ProcessContext.recordCrash). */
  readonly crashes: Map<string, number>;
}

export interface MemoryQueueOptions {
  readonly attempts: number;
  readonly backoffMs: number;
  readonly resultTtlSeconds: number;
}

export class MemoryJobQueue implements JobQueue {
  private readonly jobs = new Map<string, MemoryJob>();
  /** Finished jobs' ids in the order they finished, with when (the expiry reads from the front). */
  private readonly finished = new Map<string, number>();
  private readonly waiting: MemoryJob[] = [];
  private readonly announcements = new Announcements();
  private processor: JobProcessor | undefined;
  private concurrency = 0;
  private running = 0;
  private sequence = 0;
  /** Jobs waiting out a retry backoff. */
  private delayed = 0;
  private closing = false;
  private idle: (() => void)[] = [];

  constructor(private readonly options: MemoryQueueOptions) {}

  add(data: JobData, options: AddOptions): Promise<{ view: JobView; created: boolean }> {
    this.expire();
    const existing = this.jobs.get(options.id);
    if (existing) return Promise.resolve({ view: existing.view, created: false });
    const now = Date.now();
    const job: MemoryJob = {
      view: {
        id: options.id,
        tenant: data.tenant,
        fingerprint: data.fingerprint,
        state: "queued",
        createdAt: now,
        updatedAt: now,
        deadline: data.deadline,
        attempts: 0,
      },
      data,
      attemptsBefore: 0,
      priority: options.priority,
      sequence: this.sequence++,
      crashes: new Map(),
    };
    this.jobs.set(options.id, job);
    this.enqueue(job);
    return Promise.resolve({ view: job.view, created: true });
  }

  /** As BullMQ counts them: every job has a priority, so waiting jobs are "prioritized". */
  counts(): Promise<QueueCounts> {
    const states = {
      waiting: 0,
      prioritized: this.waiting.length,
      delayed: this.delayed,
      active: this.running,
    };
    return Promise.resolve({ queued: this.waiting.length + this.delayed, running: this.running, states });
  }

  get(id: string): Promise<JobView | undefined> {
    this.expire();
    return Promise.resolve(this.jobs.get(id)?.view);
  }

  retry(id: string, deadline: number): Promise<JobView | undefined> {
    const job = this.jobs.get(id);
    if (!job || !failedRetryably(job.view)) return Promise.resolve(undefined);
    this.finished.delete(id);
    job.data = { ...job.data, deadline };
    job.attemptsBefore = job.view.attempts;
    const { error: _failure, ...view } = job.view;
    job.view = view;
    this.update(job, { state: "queued", deadline });
    this.enqueue(job);
    return Promise.resolve(job.view);
  }

  cancel(id: string): Promise<JobView | undefined> {
    const job = this.jobs.get(id);
    if (!job || TERMINAL_STATES.has(job.view.state)) return Promise.resolve(job?.view);
    const at = this.waiting.indexOf(job);
    if (at >= 0) {
      this.waiting.splice(at, 1);
      this.update(job, { state: "cancelled", error: cancelledFailure() });
    } else {
      job.controller?.abort();
    }
    return Promise.resolve(job.view);
  }

  watch(id: string, signal: AbortSignal): AsyncIterable<JobUpdate> {
    return watchUpdates(id, signal, {
      get: (jobId) => this.get(jobId),
      subscribe: (jobId, listener) => this.announcements.subscribe(jobId, listener),
      pollMs: 1000,
    });
  }

  work(processor: JobProcessor, concurrency: number): void {
    this.processor = processor;
    this.concurrency = concurrency;
    this.pump();
  }

  async close(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.running === 0) return;
    await Promise.race([
      new Promise<void>((resolve) => this.idle.push(resolve)),
      new Promise((resolve) => setTimeout(resolve, graceMs).unref()),
    ]);
    for (const job of this.jobs.values()) job.controller?.abort();
  }

  private enqueue(job: MemoryJob): void {
    // Higher priority first, then first come first served.
    const at = this.waiting.findIndex(
      (other) =>
        other.priority < job.priority || (other.priority === job.priority && other.sequence > job.sequence),
    );
    this.waiting.splice(at < 0 ? this.waiting.length : at, 0, job);
    this.pump();
  }

  private pump(): void {
    while (this.processor && !this.closing && this.running < this.concurrency && this.waiting.length > 0) {
      void this.run(this.waiting.shift()!, this.processor);
    }
    if (this.running === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  private async run(job: MemoryJob, processor: JobProcessor): Promise<void> {
    this.running++;
    const controller = (job.controller = new AbortController());
    const attempt = job.view.attempts + 1;
    this.update(job, { state: "running", attempts: attempt });
    try {
      const result = await processor(job.data, {
        jobId: job.view.id,
        attempt,
        signal: controller.signal,
        // One process: the signal is the cancellation's only record.
        cancelled: () => Promise.resolve(controller.signal.aborted),
        report: (event) => this.report(job, event),
        recordCrash: (stage) => {
          const count = (job.crashes.get(stage) ?? 0) + 1;
          job.crashes.set(stage, count);
          return Promise.resolve(count);
        },
      });
      this.update(job, { state: "succeeded", result });
    } catch (error) {
      const failure: JobFailure = controller.signal.aborted ? cancelledFailure() : failureOf(error);
      if (failure.retryable && attempt - job.attemptsBefore < this.options.attempts) {
        this.update(job, { state: "queued" });
        this.delayed++;
        setTimeout(
          () => {
            this.delayed--;
            this.enqueue(job);
          },
          this.options.backoffMs * 2 ** (attempt - 1),
        ).unref();
      } else {
        this.update(job, {
          state: failure.code === Number(status.CANCELLED) ? "cancelled" : "failed",
          error: failure,
        });
      }
    } finally {
      delete job.controller;
      this.running--;
      this.pump();
    }
  }

  private report(job: MemoryJob, event: ProgressEvent): Promise<void> {
    job.view = { ...job.view, stage: stageOf(event), updatedAt: Date.now() };
    this.announcements.announce(job.view.id, { kind: "event", event });
    return Promise.resolve();
  }

  private update(job: MemoryJob, patch: Partial<JobView>): void {
    job.view = { ...job.view, ...patch, updatedAt: Date.now() };
    if (TERMINAL_STATES.has(job.view.state)) this.finished.set(job.view.id, job.view.updatedAt);
    this.announcements.announce(job.view.id, "changed");
  }

  /**
   * Finished jobs are forgotten after the result TTL, as BullMQ's removeOnComplete/Fail do;
   * only the expired ones are visited (this runs on every add and read).
   */
  private expire(): void {
    const horizon = Date.now() - this.options.resultTtlSeconds * 1000;
    for (const [id, finishedAt] of this.finished) {
      if (finishedAt >= horizon) break;
      this.finished.delete(id);
      this.jobs.delete(id);
    }
  }
}

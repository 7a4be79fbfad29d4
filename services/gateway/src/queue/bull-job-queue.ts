/**
 * The job queue on Redis with BullMQ. Jobs carry an absolute deadline and a priority; a job
 * whose gateway dies keeps its lock only `lockDurationMs`, then another gateway's stalled-job
 * check moves it back to waiting and it runs again (resuming from stage checkpoints).
 * Cancellation reaches the gateway running a job through a Redis channel, and a marker key
 * catches what the channel misses (it is read at every stage boundary). QueueEvents can miss
 * events, so watchers also poll.
 *
 * Redis memory: a job's result is stored once, under its own key; BullMQ's return value (which
 * BullMQ copies into the job and into its event stream) is only a marker, progress events are
 * small (stages and token ids, never masks) and the event stream is bounded.
 */
import { type ConnectionOptions, type Job, Queue, QueueEvents, UnrecoverableError, Worker } from "bullmq";
import { status } from "@grpc/grpc-js";
import type { Redis, RedisOptions } from "ioredis";
import { EngineError } from "@pixellm/errors";
import type { Logger } from "@pixellm/service-kit";
import type { JobData, JobEvent, JobResult } from "../job-types";
import type { RedisKeys } from "../redis-keys";
import { connectRedis, logConnectionState } from "../store/redis-connection";
import { JobFailureError, cancelledFailure, failureOf, parseFailure, serializeFailure } from "./job-failure";
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

const POLL_MS = 500;

/** BullMQ's return value of a job: its result is in `RedisKeys.result`. */
const RESULT_STORED = "result-stored";

export interface BullQueueOptions {
  /** Connection options of every client the queue opens (redis-connection.ts). */
  readonly connection: RedisOptions;
  readonly keys: RedisKeys;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly resultTtlSeconds: number;
  /** Approximate bound of BullMQ's event stream. */
  readonly eventStreamMaxLength: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly workerName: string;
  readonly logger: Logger;
}

type BullJob = Job<JobData, typeof RESULT_STORED>;

export class BullJobQueue implements JobQueue {
  private readonly announcements = new Announcements();
  private worker: Worker<JobData, typeof RESULT_STORED> | undefined;
  /** Jobs this gateway is running, and who waits for none (close). */
  private running = 0;
  private idle: (() => void)[] = [];
  private readonly subscriber: Redis;

  private constructor(
    private readonly options: BullQueueOptions,
    private readonly redis: Redis,
    private readonly queue: Queue<JobData, typeof RESULT_STORED>,
    private readonly events: QueueEvents,
  ) {
    this.subscriber = redis.duplicate();
    logConnectionState(redis, options.logger);
    logConnectionState(this.subscriber, options.logger);
    // The same outages again, through BullMQ's own connections (the lines above report them once).
    const quiet = (error: Error) => options.logger.debug("queue connection error", { reason: error.message });
    queue.on("error", quiet);
    events.on("error", quiet);
    events.on("progress", ({ jobId, data }) =>
      this.announcements.announce(jobId, { kind: "event", event: data as JobEvent }),
    );
    for (const name of ["active", "completed", "failed", "removed", "waiting"] as const) {
      events.on(name, ({ jobId }: { jobId: string }) => this.announcements.announce(jobId, "changed"));
    }
  }

  static async open(options: BullQueueOptions): Promise<BullJobQueue> {
    const redis = await connectRedis({ ...options.connection, maxRetriesPerRequest: null });
    const bull = bullOptions(options);
    const queue = new Queue<JobData, typeof RESULT_STORED>(options.keys.queueName, {
      ...bull,
      streams: { events: { maxLen: options.eventStreamMaxLength } },
    });
    const events = new QueueEvents(options.keys.queueName, bull);
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    return new BullJobQueue(options, redis, queue, events);
  }

  async add(data: JobData, options: AddOptions): Promise<{ view: JobView; created: boolean }> {
    const ttl = this.options.resultTtlSeconds;
    await this.queue.add("segment", data, {
      jobId: options.id,
      // BullMQ: 1 is the highest priority; every job gets one so ordering is by priority alone.
      priority: 10 - options.priority,
      attempts: this.options.attempts,
      backoff: { type: "exponential", delay: this.options.backoffMs },
      removeOnComplete: { age: ttl },
      removeOnFail: { age: ttl },
    });
    const job = await this.queue.getJob(options.id);
    const view = job && (await this.view(job));
    if (!job || !view)
      throw new EngineError("unavailable", `job ${options.id} vanished right after it was added; retry`);
    return { view, created: job.data.requestId === data.requestId };
  }

  async counts(): Promise<QueueCounts> {
    const c = await this.queue.getJobCounts("wait", "prioritized", "delayed", "active");
    const states = {
      waiting: c.wait ?? 0,
      prioritized: c.prioritized ?? 0,
      delayed: c.delayed ?? 0,
      active: c.active ?? 0,
    };
    return { queued: states.waiting + states.prioritized + states.delayed, running: states.active, states };
  }

  async get(id: string): Promise<JobView | undefined> {
    const job = await this.queue.getJob(id);
    return job ? this.view(job) : this.tombstone(id);
  }

  /** A job cancelled while queued is removed from BullMQ; its cancel marker holds its final view. */
  private async tombstone(id: string): Promise<JobView | undefined> {
    const marker = await this.redis.get(this.options.keys.cancelled(id));
    return marker && marker !== "1" ? (JSON.parse(marker) as JobView) : undefined;
  }

  async retry(id: string, deadline: number): Promise<JobView | undefined> {
    const job = await this.queue.getJob(id);
    const view = job && (await this.view(job));
    if (!job || !view || !failedRetryably(view)) return undefined;
    await job.updateData({ ...job.data, deadline });
    try {
      // Atomic: only one of several gateways retrying the same job moves it out of "failed".
      await job.retry("failed", { resetAttemptsMade: true });
    } catch {
      return undefined;
    }
    this.announcements.announce(id, "changed");
    return this.get(id);
  }

  async cancel(id: string): Promise<JobView | undefined> {
    const job = await this.queue.getJob(id);
    if (!job) return this.tombstone(id);
    const view = await this.view(job);
    if (!view || TERMINAL_STATES.has(view.state)) return view;
    const ttl = this.options.resultTtlSeconds;
    const cancelled: JobView = {
      ...view,
      state: "cancelled",
      updatedAt: Date.now(),
      error: cancelledFailure(),
    };
    if (view.state === "queued") {
      await this.redis.set(this.options.keys.cancelled(id), JSON.stringify(cancelled), "EX", ttl);
      await job.remove().catch(() => undefined); // it may have become active meanwhile: the marker stops it
      this.announcements.announce(id, "changed");
      return cancelled;
    }
    await this.redis.set(this.options.keys.cancelled(id), "1", "EX", ttl);
    await this.redis.publish(this.options.keys.cancelChannel, id);
    return view;
  }

  watch(id: string, signal: AbortSignal): AsyncIterable<JobUpdate> {
    return watchUpdates(id, signal, {
      get: (jobId) => this.get(jobId),
      subscribe: (jobId, listener) => this.announcements.subscribe(jobId, listener),
      pollMs: POLL_MS,
    });
  }

  work(processor: JobProcessor, concurrency: number): void {
    this.worker = new Worker<JobData, typeof RESULT_STORED>(
      this.options.keys.queueName,
      (job, _token, signal) => this.process(job, processor, signal),
      {
        ...bullOptions(this.options),
        concurrency,
        lockDuration: this.options.lockDurationMs,
        stalledInterval: this.options.stalledIntervalMs,
        maxStalledCount: this.options.attempts,
      },
    );
    this.worker.on("error", (error) =>
      this.options.logger.error("queue worker error", { reason: error.message }),
    );
    // ioredis subscribes again after a reconnection; a failure here leaves the marker to catch it.
    this.subscriber
      .subscribe(this.options.keys.cancelChannel)
      .catch((error: unknown) =>
        this.options.logger.warn("cancel channel not subscribed", { reason: (error as Error).message }),
      );
    this.subscriber.on("message", (_channel, jobId: string) => this.worker?.cancelJob(jobId, "cancelled"));
  }

  /**
   * Takes no new jobs, waits up to `graceMs` for the running ones, then closes. Jobs still running
   * keep their locks until those expire, and another gateway recovers them (BullMQ decides force
   * on its first close call only, so the wait is this queue's own).
   */
  async close(graceMs: number): Promise<void> {
    if (this.worker) {
      const worker = this.worker;
      await worker.pause(true);
      const idle =
        this.running === 0 ||
        (await Promise.race([
          new Promise<boolean>((resolve) => this.idle.push(() => resolve(true))),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
        ]));
      await worker.close(!idle);
    }
    await Promise.all([this.queue.close(), this.events.close()]);
    this.subscriber.disconnect();
    this.redis.disconnect();
  }

  private async process(
    job: BullJob,
    processor: JobProcessor,
    signal: AbortSignal | undefined,
  ): Promise<typeof RESULT_STORED> {
    this.running++;
    try {
      return await this.run(job, processor, signal);
    } finally {
      if (--this.running === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async run(
    job: BullJob,
    processor: JobProcessor,
    signal: AbortSignal | undefined,
  ): Promise<typeof RESULT_STORED> {
    const id = job.id!;
    const keys = this.options.keys;
    const controller = new AbortController();
    signal?.addEventListener("abort", () => controller.abort(), { once: true });
    const cancelled = async () => {
      if (!controller.signal.aborted && (await this.redis.exists(keys.cancelled(id)))) controller.abort();
      return controller.signal.aborted;
    };
    try {
      if (await cancelled()) throw new JobFailureError(cancelledFailure());
      // A run that stored its result and died before BullMQ recorded the completion is not repeated.
      if (await this.redis.exists(keys.result(id))) return RESULT_STORED;
      const result = await processor(job.data, {
        jobId: id,
        attempt: job.attemptsStarted,
        signal: controller.signal,
        cancelled,
        report: (event) => job.updateProgress(event),
        recordCrash: (stage) => this.recordCrash(id, stage),
      });
      await this.redis.set(keys.result(id), JSON.stringify(result), "EX", this.options.resultTtlSeconds);
      return RESULT_STORED;
    } catch (error) {
      const failure = failureOf(error);
      throw failure.retryable
        ? new Error(serializeFailure(failure))
        : new UnrecoverableError(serializeFailure(failure));
    }
  }

  /** The job's crashes of `stage`, in Redis (kept as long as its result), counted atomically. */
  private async recordCrash(jobId: string, stage: string): Promise<number> {
    const key = this.options.keys.stageCrashes(jobId, stage);
    const [[, count]] = (await this.redis
      .multi()
      .incr(key)
      .expire(key, this.options.resultTtlSeconds)
      .exec()) as [[Error | null, number]];
    return count;
  }

  /** The job's view; undefined for a succeeded job whose result expired before the job did. */
  private async view(read: BullJob): Promise<JobView | undefined> {
    const state = await read.getState();
    // `read` holds the job's data from before its state was read: a job that failed in between
    // has its failure only in a fresh read, written together with the new state.
    const job =
      state === "failed" && !read.failedReason ? ((await this.queue.getJob(read.id!)) ?? read) : read;
    const failure = job.failedReason ? parseFailure(job.failedReason) : undefined;
    const stored = state === "completed" ? await this.redis.get(this.options.keys.result(job.id!)) : null;
    if (state === "completed" && stored === null) return undefined;
    const progress = job.progress as Partial<JobEvent> | number;
    return {
      id: job.id!,
      tenant: job.data.tenant,
      fingerprint: job.data.fingerprint,
      state:
        state === "active"
          ? "running"
          : state === "completed"
            ? "succeeded"
            : state === "failed"
              ? failure?.code === status.CANCELLED
                ? "cancelled"
                : "failed"
              : "queued",
      ...(typeof progress === "object" && progress.kind ? { stage: stageOf(progress as JobEvent) } : {}),
      ...(stored !== null ? { result: JSON.parse(stored) as JobResult } : {}),
      ...(state === "failed" && failure ? { error: failure } : {}),
      createdAt: job.timestamp,
      updatedAt: job.finishedOn ?? job.processedOn ?? job.timestamp,
      deadline: job.data.deadline,
      attempts: job.attemptsStarted,
    };
  }
}

/** Connection and key prefix of the queue, its events and its worker. */
function bullOptions(options: BullQueueOptions): { connection: ConnectionOptions; prefix: string } {
  return {
    // ioredis's own options type is narrower than BullMQ's copy of it; they are the same options.
    connection: { ...options.connection, maxRetriesPerRequest: null } as ConnectionOptions,
    prefix: options.keys.bullPrefix,
  };
}

/**
 * The job queue on Redis with BullMQ. Jobs carry an absolute deadline and a priority; a job
 * whose gateway dies keeps its lock only `lockDurationMs`, then another gateway's stalled-job
 * check moves it back to waiting and it runs again (resuming from stage checkpoints).
 * Cancellation reaches the gateway running a job through a Redis channel, and a marker key
 * catches what the channel misses. QueueEvents can miss events, so watchers also poll.
 */
import { Queue, QueueEvents, UnrecoverableError, Worker, type Job } from "bullmq";
import { status } from "@grpc/grpc-js";
import { Redis } from "ioredis";
import type { Logger } from "@pixellm/service-kit";
import type { JobData, JobEvent, JobFailure, JobResult } from "../job-types";
import type { RedisKeys } from "../redis-keys";
import {
  type AddOptions,
  type JobProcessor,
  type JobQueue,
  type JobUpdate,
  type JobView,
  type QueueCounts,
  JobFailureError,
  TERMINAL_STATES,
  cancelledFailure,
  failedRetryably,
  failureOf,
  stageOf,
} from "./job-queue";
import { Announcements, watchUpdates } from "./watch";

const POLL_MS = 500;

export interface BullQueueOptions {
  readonly redisUrl: string;
  readonly keys: RedisKeys;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly resultTtlSeconds: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly workerName: string;
  readonly logger: Logger;
}

type BullJob = Job<JobData, JobResult>;

export class BullJobQueue implements JobQueue {
  private readonly announcements = new Announcements();
  private worker: Worker<JobData, JobResult> | undefined;
  private readonly subscriber: Redis;

  private constructor(
    private readonly options: BullQueueOptions,
    private readonly redis: Redis,
    private readonly queue: Queue<JobData, JobResult>,
    private readonly events: QueueEvents,
  ) {
    this.subscriber = redis.duplicate();
    events.on("progress", ({ jobId, data }) =>
      this.announcements.announce(jobId, { kind: "event", event: data as JobEvent }),
    );
    for (const name of ["active", "completed", "failed", "removed", "waiting"] as const) {
      events.on(name, ({ jobId }: { jobId: string }) => this.announcements.announce(jobId, "changed"));
    }
  }

  static async open(options: BullQueueOptions): Promise<BullJobQueue> {
    const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    await redis.connect();
    const bull = bullOptions(options);
    const queue = new Queue<JobData, JobResult>(options.keys.queueName, bull);
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
    if (!job) throw new Error(`job ${options.id} vanished right after it was added`);
    return { view: await this.view(job), created: job.data.requestId === data.requestId };
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
    if (job) return this.view(job);
    const tombstone = await this.redis.get(this.options.keys.cancelled(id));
    return tombstone && tombstone !== "1" ? (JSON.parse(tombstone) as JobView) : undefined;
  }

  async retry(id: string, deadline: number): Promise<JobView | undefined> {
    const job = await this.queue.getJob(id);
    if (!job || !failedRetryably(await this.view(job))) return undefined;
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
    if (!job) return this.get(id);
    const view = await this.view(job);
    if (TERMINAL_STATES.has(view.state)) return view;
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
    this.worker = new Worker<JobData, JobResult>(
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
    void this.subscriber.subscribe(this.options.keys.cancelChannel);
    this.subscriber.on("message", (_channel, jobId: string) => this.worker?.cancelJob(jobId, "cancelled"));
  }

  async close(graceMs: number): Promise<void> {
    if (this.worker) {
      const worker = this.worker;
      const timer = new Promise<"timeout">((resolve) =>
        setTimeout(() => resolve("timeout"), graceMs).unref(),
      );
      if ((await Promise.race([worker.close().then(() => "closed" as const), timer])) === "timeout")
        await worker.close(true);
    }
    await Promise.all([this.queue.close(), this.events.close()]);
    this.subscriber.disconnect();
    this.redis.disconnect();
  }

  private async process(
    job: BullJob,
    processor: JobProcessor,
    signal: AbortSignal | undefined,
  ): Promise<JobResult> {
    const id = job.id!;
    const controller = new AbortController();
    signal?.addEventListener("abort", () => controller.abort(), { once: true });
    if (await this.redis.exists(this.options.keys.cancelled(id))) controller.abort();
    try {
      if (controller.signal.aborted) throw new JobFailureError(cancelledFailure());
      return await processor(job.data, {
        jobId: id,
        attempt: job.attemptsStarted,
        signal: controller.signal,
        report: (event) => job.updateProgress(event),
      });
    } catch (error) {
      const failure = failureOf(error);
      // BullMQ keeps a job's failure as a string: the JobFailure travels as JSON.
      throw failure.retryable
        ? new Error(JSON.stringify(failure))
        : new UnrecoverableError(JSON.stringify(failure));
    }
  }

  private async view(read: BullJob): Promise<JobView> {
    const state = await read.getState();
    // `read` holds the job's data from before its state was read: a job that finished in between
    // has its result (or failure) only in a fresh read, written together with the new state.
    const stale =
      (state === "completed" && read.returnvalue == null) || (state === "failed" && !read.failedReason);
    const job = stale ? ((await this.queue.getJob(read.id!)) ?? read) : read;
    const failure = job.failedReason ? parseFailure(job.failedReason) : undefined;
    const progress = job.progress as Partial<JobEvent> | number;
    return {
      id: job.id!,
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
      ...(state === "completed" && job.returnvalue ? { result: job.returnvalue } : {}),
      ...(state === "failed" && failure ? { error: failure } : {}),
      createdAt: job.timestamp,
      updatedAt: job.finishedOn ?? job.processedOn ?? job.timestamp,
      deadline: job.data.deadline,
      attempts: job.attemptsStarted,
    };
  }
}

/** Connection and key prefix of the queue, its events and its worker. */
function bullOptions(options: BullQueueOptions) {
  return {
    connection: { url: options.redisUrl, maxRetriesPerRequest: null },
    prefix: options.keys.bullPrefix,
  };
}

function parseFailure(reason: string): JobFailure {
  try {
    const parsed = JSON.parse(reason) as JobFailure;
    if (typeof parsed.code === "number") return parsed;
  } catch {
    // not one of ours: BullMQ's own reasons (e.g. stalled too many times)
  }
  return { code: status.UNAVAILABLE, message: reason, retryable: true };
}

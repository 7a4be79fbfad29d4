/**
 * The job-queue contract, run against both queues alike: BullJobQueue on real Redis (a key
 * prefix per test) and the embedded mode's MemoryJobQueue. Whatever the gateway relies on —
 * idempotent adds, priorities, counts, cancellation, watching, retries, the result TTL, closing
 * with a grace period — holds for each. BullMQ-only behaviour (the durable cancel marker, results
 * kept out of the event stream, a job that vanishes) follows in its own block.
 */
import { status } from "@grpc/grpc-js";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { Target } from "@pixellm/api";
import { afterEach, describe, expect, it } from "vitest";
import type { JobData, JobResult } from "../src/job-types";
import type { BullJobQueue } from "../src/queue/bull-job-queue";
import { JobFailureError, cancelledFailure } from "../src/queue/job-failure";
import type { JobProcessor, JobQueue, JobUpdate, JobView, ProcessContext } from "../src/queue/job-queue";
import { MemoryJobQueue } from "../src/queue/memory-job-queue";
import { waitForEnd } from "../src/queue/watch";
import type { RedisKeys } from "../src/redis-keys";
import { jobData } from "./job-data";
import { REDIS_URL, openBullQueue, uniqueKeys } from "./redis-queue";

interface QueueSettings {
  readonly attempts: number;
  readonly backoffMs: number;
  readonly resultTtlSeconds: number;
}

const DEFAULTS: QueueSettings = { attempts: 1, backoffMs: 50, resultTtlSeconds: 60 };

type OpenQueue = (settings?: Partial<QueueSettings>) => Promise<JobQueue>;

const opened: JobQueue[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((queue) => queue.close(200)));
});

const IMPLEMENTATIONS: readonly (readonly [string, OpenQueue])[] = [
  [
    "BullJobQueue (Redis)",
    async (settings) => {
      const queue = await openBullQueue(uniqueKeys("contract"), { ...DEFAULTS, ...settings });
      opened.push(queue);
      return queue;
    },
  ],
  [
    "MemoryJobQueue",
    (settings) => {
      const queue = new MemoryJobQueue({ ...DEFAULTS, ...settings });
      opened.push(queue);
      return Promise.resolve(queue);
    },
  ],
];

const never = new AbortController().signal;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const resultOf = (data: JobData): JobResult => ({ text: `answer to ${data.requestId}` });

/** A gate that holds processors until it is opened. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

async function until(read: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await read())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await sleep(20);
  }
}

const stateOf = async (queue: JobQueue, id: string) => (await queue.get(id))?.state;

describe.each(IMPLEMENTATIONS)("%s", (_name, open) => {
  it("adds a job once per id: a second add returns the first job, not created", async () => {
    const queue = await open();
    const first = await queue.add(jobData({ requestId: "first" }), { id: "job", priority: 0 });
    const second = await queue.add(jobData({ requestId: "second" }), { id: "job", priority: 5 });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.view.id).toBe("job");
    expect(second.view.state).toBe("queued");
    const ran: string[] = [];
    queue.work((data) => {
      ran.push(data.requestId);
      return Promise.resolve(resultOf(data));
    }, 1);
    expect((await waitForEnd(queue, "job", never))?.result).toEqual({ text: "answer to first" });
    expect(ran).toEqual(["first"]);
  });

  it("runs higher priorities first, then first come first served", async () => {
    const queue = await open();
    const jobs = [
      ["low-1", 0],
      ["high", 9],
      ["low-2", 0],
      ["mid", 4],
    ] as const;
    for (const [id, priority] of jobs) await queue.add(jobData({ requestId: id }), { id, priority });
    const ran: string[] = [];
    queue.work((data) => {
      ran.push(data.requestId);
      return Promise.resolve(resultOf(data));
    }, 1);
    for (const [id] of jobs) await waitForEnd(queue, id, never);
    expect(ran).toEqual(["high", "mid", "low-1", "low-2"]);
  });

  it("counts queued and running jobs, then none", async () => {
    const queue = await open();
    const held = gate();
    queue.work((data) => held.wait.then(() => resultOf(data)), 1);
    for (const id of ["a", "b", "c"]) await queue.add(jobData({ requestId: id }), { id, priority: 0 });
    await until(async () => (await queue.counts()).running === 1);
    expect(await queue.counts()).toMatchObject({ queued: 2, running: 1 });
    held.open();
    for (const id of ["a", "b", "c"]) await waitForEnd(queue, id, never);
    expect(await queue.counts()).toMatchObject({ queued: 0, running: 0 });
  });

  it("gets a job by id with its result, and nothing for an unknown id", async () => {
    const queue = await open();
    expect(await queue.get("unknown")).toBeUndefined();
    queue.work((data) => Promise.resolve(resultOf(data)), 1);
    await queue.add(jobData({ requestId: "r" }), { id: "known", priority: 0 });
    await waitForEnd(queue, "known", never);
    const view = await queue.get("known");
    expect(view).toMatchObject({
      id: "known",
      state: "succeeded",
      attempts: 1,
      result: { text: "answer to r" },
    });
    expect(view!.updatedAt).toBeGreaterThanOrEqual(view!.createdAt);
  });

  it("cancels a queued job: it ends cancelled and never runs", async () => {
    const queue = await open();
    const held = gate();
    const ran: string[] = [];
    queue.work((data) => {
      ran.push(data.requestId);
      return held.wait.then(() => resultOf(data));
    }, 1);
    await queue.add(jobData({ requestId: "running" }), { id: "running", priority: 0 });
    await until(async () => (await stateOf(queue, "running")) === "running");
    await queue.add(jobData({ requestId: "queued" }), { id: "queued", priority: 0 });
    const cancelled = await queue.cancel("queued");
    expect(cancelled?.state).toBe("cancelled");
    expect(cancelled?.error).toEqual(cancelledFailure());
    held.open();
    await waitForEnd(queue, "running", never);
    expect((await queue.get("queued"))?.state).toBe("cancelled");
    expect(ran).toEqual(["running"]);
  });

  it("cancels a running job: its signal aborts and its cancel check says so at the next stage boundary", async () => {
    const queue = await open({ attempts: 3 });
    const seen: { aborted: boolean; cancelled: boolean }[] = [];
    queue.work(async (_data, context) => {
      await until(() => context.signal.aborted);
      seen.push({ aborted: context.signal.aborted, cancelled: await context.cancelled() });
      throw new JobFailureError(cancelledFailure());
    }, 1);
    await queue.add(jobData(), { id: "job", priority: 0 });
    await until(async () => (await stateOf(queue, "job")) === "running");
    await queue.cancel("job");
    const end = await waitForEnd(queue, "job", never);
    expect(end?.state).toBe("cancelled");
    expect(end?.error?.code).toBe(status.CANCELLED);
    expect(end?.attempts).toBe(1); // a cancellation is never retried
    expect(seen).toEqual([{ aborted: true, cancelled: true }]);
    expect(await queue.cancel("job")).toMatchObject({ state: "cancelled" }); // finished: unchanged
  });

  it("watches a job to its end: states in order, progress events, the result's targets before the last state", async () => {
    const queue = await open();
    const target: Target = {
      index: 0,
      spanStart: 0,
      spanEnd: 3,
      mask: { size: [2, 2], counts: "1:2" },
      bbox: [0, 0, 1, 1],
      area: 2,
      score: 0.5,
    };
    await queue.add(jobData(), { id: "job", priority: 0 });
    const updates: JobUpdate[] = [];
    const watching = (async () => {
      for await (const update of queue.watch("job", never)) updates.push(update);
    })();
    await until(() => updates.length > 0);
    queue.work(async (data, context) => {
      await context.report({ kind: "stage", stage: "vision" });
      await context.report({ kind: "tokens", ids: [5, 6], total: 2 });
      return { ...resultOf(data), targets: [target] };
    }, 1);
    await watching;
    const states = updates.flatMap((u) => (u.kind === "state" ? [u.view.state] : []));
    const events = updates.flatMap((u) => (u.kind === "event" ? [u.event] : []));
    expect(states[0]).toBe("queued");
    expect(states.at(-1)).toBe("succeeded");
    expect(updates.at(-1)).toMatchObject({ kind: "state", view: { result: { targets: [target] } } });
    expect(updates.at(-2)).toEqual({ kind: "event", event: { kind: "target", index: 0, target } });
    // Progress events may be missed by a watcher (it polls too), never reordered.
    const tokens = events.filter((e) => e.kind === "tokens");
    expect(tokens.every((e) => e.kind === "tokens" && e.total === 2)).toBe(true);
  });

  it("retries a retryable failure after its backoff, and succeeds", async () => {
    const queue = await open({ attempts: 3, backoffMs: 300 });
    const started: number[] = [];
    queue.work((data, context) => {
      started.push(Date.now());
      if (context.attempt === 1)
        throw new JobFailureError({ code: status.UNAVAILABLE, message: "stage gone", retryable: true });
      return Promise.resolve(resultOf(data));
    }, 1);
    await queue.add(jobData(), { id: "job", priority: 0 });
    const end = await waitForEnd(queue, "job", never);
    expect(end).toMatchObject({ state: "succeeded", attempts: 2 });
    expect(started).toHaveLength(2);
    // The backoff is waited (a 30 ms allowance for timer granularity).
    expect(started[1]! - started[0]!).toBeGreaterThanOrEqual(300 - 30);
  });

  it("fails a retryable failure for good once its attempts are used up", async () => {
    const queue = await open({ attempts: 2, backoffMs: 20 });
    queue.work(() => {
      throw new JobFailureError({ code: status.UNAVAILABLE, message: "stage gone", retryable: true });
    }, 1);
    await queue.add(jobData(), { id: "job", priority: 0 });
    const end = await waitForEnd(queue, "job", never);
    expect(end).toMatchObject({ state: "failed", attempts: 2 });
    expect(end?.error).toEqual({ code: status.UNAVAILABLE, message: "stage gone", retryable: true });
  });

  it("does not retry a failure that is not retryable", async () => {
    const queue = await open({ attempts: 3, backoffMs: 20 });
    let runs = 0;
    const failure = { code: status.INVALID_ARGUMENT, message: "prompt too long", retryable: false };
    queue.work(() => {
      runs++;
      throw new JobFailureError(failure);
    }, 1);
    await queue.add(jobData(), { id: "job", priority: 0 });
    const end = await waitForEnd(queue, "job", never);
    expect(end).toMatchObject({ state: "failed", attempts: 1, error: failure });
    expect(runs).toBe(1);
  });

  it("forgets a finished job after the result TTL", async () => {
    const queue = await open({ resultTtlSeconds: 1 });
    queue.work((data) => Promise.resolve(resultOf(data)), 1);
    await queue.add(jobData(), { id: "job", priority: 0 });
    await waitForEnd(queue, "job", never);
    expect((await queue.get("job"))?.state).toBe("succeeded");
    await sleep(1300);
    expect(await queue.get("job")).toBeUndefined();
  });

  it("closes after its running job finishes within the grace period", async () => {
    const queue = await open();
    const finished: string[] = [];
    queue.work(async (data) => {
      await sleep(300);
      finished.push(data.requestId);
      return resultOf(data);
    }, 1);
    await queue.add(jobData({ requestId: "r" }), { id: "job", priority: 0 });
    await until(async () => (await stateOf(queue, "job")) === "running");
    await queue.close(5000);
    expect(finished).toEqual(["r"]);
  });

  it("closes within the grace period when a running job does not finish", async () => {
    const queue = await open();
    const held = gate();
    queue.work((data) => held.wait.then(() => resultOf(data)), 1);
    await queue.add(jobData(), { id: "job", priority: 0 });
    await until(async () => (await stateOf(queue, "job")) === "running");
    const started = Date.now();
    await queue.close(300);
    // The grace period plus what closing the connections takes (1 s allowed).
    expect(Date.now() - started).toBeLessThan(300 + 1000);
    held.open();
  });

  it("retries a retryably failed job when asked (a resubmission with its key): fresh attempts, the new deadline; refuses other jobs", async () => {
    const ATTEMPTS = 2;
    const queue = await open({ attempts: ATTEMPTS, backoffMs: 5 });
    // Every execution of "flaky" fails UNAVAILABLE until `healthy`; "bad" fails for good.
    let healthy = false;
    const executions = new Map<string, number>();
    queue.work((data) => {
      executions.set(data.requestId, (executions.get(data.requestId) ?? 0) + 1);
      if (data.requestId === "bad")
        throw new JobFailureError({ code: status.INVALID_ARGUMENT, message: "bad", retryable: false });
      if (!healthy)
        throw new JobFailureError({ code: status.UNAVAILABLE, message: "no replica", retryable: true });
      return Promise.resolve({ text: "done" } as JobResult);
    }, 2);
    await queue.add(jobData({ requestId: "flaky" }), { id: "flaky", priority: 0 });
    await queue.add(jobData({ requestId: "bad" }), { id: "bad", priority: 0 });
    const failed = await waitForEnd(queue, "flaky", never);
    expect(failed?.state).toBe("failed");
    expect(failed?.error?.retryable).toBe(true);
    expect(executions.get("flaky")).toBe(ATTEMPTS);
    expect((await waitForEnd(queue, "bad", never))?.state).toBe("failed");

    // A non-retryable failure stays as it is.
    expect(await queue.retry("bad", Date.now() + 60_000)).toBeUndefined();
    expect(await queue.retry("unknown", Date.now() + 60_000)).toBeUndefined();

    healthy = true;
    const deadline = Date.now() + 120_000;
    const retried = await queue.retry("flaky", deadline);
    expect(retried?.state).not.toBe("failed");
    expect(retried?.deadline).toBe(deadline);
    // A second resubmission racing the first finds nothing left to retry.
    expect(await queue.retry("flaky", deadline)).toBeUndefined();
    const done = await waitForEnd(queue, "flaky", never);
    expect(done?.state).toBe("succeeded");
    expect(done?.error).toBeUndefined();
    expect(executions.get("flaky")).toBe(ATTEMPTS + 1);
    expect(done?.attempts).toBe(ATTEMPTS + 1);
    expect(await queue.retry("flaky", deadline), "a succeeded job is not retried").toBeUndefined();
  });
});

describe("BullJobQueue on Redis", () => {
  let keys: RedisKeys;
  let redis: Redis | undefined;
  afterEach(() => redis?.disconnect());

  async function openQueue(settings: Partial<QueueSettings> = {}): Promise<BullJobQueue> {
    keys = uniqueKeys("bull");
    redis = new Redis(REDIS_URL);
    const queue = await openBullQueue(keys, { ...DEFAULTS, ...settings });
    opened.push(queue);
    return queue;
  }

  it("a cancellation whose message was missed is seen at the next stage boundary (the marker)", async () => {
    const queue = await openQueue();
    const boundaries: boolean[] = [];
    const processor: JobProcessor = async (_data, context: ProcessContext) => {
      for (;;) {
        const cancelled = await context.cancelled();
        boundaries.push(cancelled);
        if (cancelled) throw new JobFailureError(cancelledFailure());
        await sleep(50);
      }
    };
    queue.work(processor, 1);
    await queue.add(jobData(), { id: "job", priority: 0 });
    await until(() => boundaries.length > 0);
    // Only the marker: no message on the cancel channel reaches the worker.
    await redis!.set(keys.cancelled("job"), "1", "EX", 60);
    const end = await waitForEnd(queue, "job", never);
    expect(end?.state).toBe("cancelled");
    expect(boundaries.at(-1)).toBe(true);
  });

  it("keeps results and masks out of BullMQ's event stream and job hash; the stream is bounded", async () => {
    const queue = await openQueue();
    // A long RLE string that can only come from the mask.
    const mask = { size: [64, 64], counts: Array.from({ length: 300 }, (_, i) => `m${i}`).join("") };
    const result: JobResult = {
      text: "a ball",
      targets: [{ index: 0, spanStart: 0, spanEnd: 1, mask, bbox: [0, 0, 1, 1], area: 1, score: 1 }],
    };
    queue.work(async (_data, context) => {
      await context.report({ kind: "tokens", ids: [1, 2, 3], total: 3 });
      return result;
    }, 1);
    await queue.add(jobData(), { id: "job", priority: 0 });
    expect((await waitForEnd(queue, "job", never))?.result).toEqual(result);
    const stream = JSON.stringify(
      await redis!.xrange(`${keys.bullPrefix}:${keys.queueName}:events`, "-", "+"),
    );
    const jobHash = JSON.stringify(await redis!.hgetall(`${keys.bullPrefix}:${keys.queueName}:job`));
    const maskText = mask.counts.slice(0, 60);
    expect(stream).toContain("completed");
    expect(stream).not.toContain(maskText);
    expect(jobHash).not.toContain(maskText);
    expect(await redis!.get(keys.result("job"))).toContain(maskText);
    expect(await redis!.hget(`${keys.bullPrefix}:${keys.queueName}:meta`, "opts.maxLenEvents")).toBe("1000");
  });

  it("a job that vanishes from Redis while watched ends failed with a retryable UNAVAILABLE", async () => {
    const queue = await openQueue();
    await queue.add(jobData(), { id: "job", priority: 0 }); // no worker: it stays queued
    const updates: JobView[] = [];
    const watching = (async () => {
      for await (const update of queue.watch("job", never))
        if (update.kind === "state") updates.push(update.view);
    })();
    await until(() => updates.length > 0);
    const other = new Queue(keys.queueName, { connection: { url: REDIS_URL }, prefix: keys.bullPrefix });
    await other.remove("job");
    await other.close();
    await watching;
    expect(updates.at(-1)).toMatchObject({
      state: "failed",
      error: { code: status.UNAVAILABLE, retryable: true },
    });
    expect(updates.at(-1)?.error?.message).toMatch(/submit it again/);
  });
});

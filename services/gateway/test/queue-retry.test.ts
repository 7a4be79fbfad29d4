/**
 * A job that FAILED with a retryable failure runs again when its client resubmits with its
 * idempotency key (`JobQueue.retry`). Before, the resubmission returned the failed job forever:
 * the failure said "retry", and the only retry that cannot create a second job, the same key,
 * could not. Both queues; the BullMQ one on real Redis under a prefix of its own.
 */
import { status } from "@grpc/grpc-js";
import { createLogger } from "@pixellm/service-kit";
import { afterAll, describe, expect, it } from "vitest";
import type { JobResult } from "../src/job-types";
import { BullJobQueue } from "../src/queue/bull-job-queue";
import { type JobQueue, JobFailureError } from "../src/queue/job-queue";
import { MemoryJobQueue } from "../src/queue/memory-job-queue";
import { waitForEnd } from "../src/queue/watch";
import { RedisKeys } from "../src/redis-keys";
import { jobData } from "./job-data";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ATTEMPTS = 2;

const opened: JobQueue[] = [];
afterAll(async () => {
  for (const queue of opened) await queue.close(1000);
});

const queues: Record<string, () => Promise<JobQueue>> = {
  memory: () =>
    Promise.resolve(new MemoryJobQueue({ attempts: ATTEMPTS, backoffMs: 5, resultTtlSeconds: 60 })),
  bullmq: () =>
    BullJobQueue.open({
      redisUrl: REDIS_URL,
      keys: new RedisKeys(`test-queue-retry-${process.pid}-${Date.now()}`),
      attempts: ATTEMPTS,
      backoffMs: 5,
      resultTtlSeconds: 60,
      lockDurationMs: 5000,
      stalledIntervalMs: 5000,
      workerName: "test",
      logger: createLogger({ service: "test", level: "error" }),
    }),
};

describe.each(Object.keys(queues))("%s queue: retry of a retryably failed job", (name) => {
  it("runs it again with a fresh set of attempts and the new deadline; refuses other jobs", async () => {
    const queue = await queues[name]!();
    opened.push(queue);
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
    const never = new AbortController().signal;
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

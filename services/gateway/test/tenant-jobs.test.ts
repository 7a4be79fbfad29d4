/**
 * Tenant job counts, one contract for the Redis one (real Redis, unique prefix, real BullMQ queue
 * and worker) and the embedded one (the in-memory queue): limits hold, running jobs are told from
 * queued ones, a finished job stops counting without being released, a reservation whose job
 * never arrived (its gateway died) stops counting after the grace period, and concurrent
 * reservations cannot overshoot the limit.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { JobResult } from "../src/job-types";
import { openBullQueue } from "./redis-queue";
import type { JobQueue } from "../src/queue/job-queue";
import { MemoryJobQueue } from "../src/queue/memory-job-queue";
import { RedisKeys } from "../src/redis-keys";
import { MemoryTenantJobs } from "../src/tenants/memory-tenant-jobs";
import { RedisTenantJobs } from "../src/tenants/redis-tenant-jobs";
import { RESERVATION_GRACE_MS, type TenantJobs } from "../src/tenants/tenant-jobs";
import { jobData } from "./job-data";
import { REDIS_URL } from "./tenant-gateway";

interface Fixture {
  readonly queue: JobQueue;
  /** Two views of the counts, as two gateways have (the same one in the embedded mode). */
  readonly gateways: readonly [TenantJobs, TenantJobs];
  close(): Promise<void>;
}

const QUEUE_OPTIONS = { attempts: 1, backoffMs: 100, resultTtlSeconds: 60 };

async function redisFixture(): Promise<Fixture> {
  const keys = new RedisKeys(`test-tenant-jobs-${process.pid}-${Date.now()}`);
  const queue = await openBullQueue(keys, QUEUE_OPTIONS);
  const connections = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
  return {
    queue,
    gateways: [new RedisTenantJobs(connections[0]!, keys), new RedisTenantJobs(connections[1]!, keys)],
    close: async () => {
      await queue.close(1000);
      const stale = await connections[0]!.keys(`${keys.prefix}:*`);
      if (stale.length > 0) await connections[0]!.del(...stale);
      for (const c of connections) c.disconnect();
    },
  };
}

function memoryFixture(): Promise<Fixture> {
  const queue = new MemoryJobQueue(QUEUE_OPTIONS);
  const counts = new MemoryTenantJobs(queue);
  return Promise.resolve({ queue, gateways: [counts, counts], close: () => queue.close(1000) });
}

/** A worker whose jobs run until `finish()`. */
function holdJobs(queue: JobQueue, concurrency: number): { finish: () => void } {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  queue.work(async () => {
    await finished;
    const result: JobResult = { text: "done" };
    return result;
  }, concurrency);
  return { finish };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met within 10 s");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each([
  ["redis", redisFixture],
  ["embedded", memoryFixture],
] as const)("tenant job counts (%s)", (_mode, makeFixture) => {
  let fixture: Fixture | undefined;
  let held: { finish: () => void } | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    held?.finish(); // a failed assertion must not leave the worker holding its jobs
    await fixture?.close();
  });

  /** Reserves, adds and confirms a job as the submitter does. */
  const submit = async (
    counts: TenantJobs,
    tenant: string,
    id: string,
    quota = { maxConcurrentJobs: 2, maxQueued: 10 },
  ) => {
    const reservation = await counts.reserve(tenant, id, quota);
    if (reservation.granted) {
      await fixture!.queue.add(jobData({ tenant, requestId: id }), { id, priority: 0 });
      await counts.confirm(tenant, id);
    }
    return reservation;
  };

  it("counts queued and running jobs per tenant, and a finished job frees its place", async () => {
    fixture = await makeFixture();
    const [one, other] = fixture.gateways;
    expect(await submit(one, "a", "a-1")).toEqual({ granted: true });
    expect(await submit(other, "a", "a-2")).toEqual({ granted: true });
    expect(await submit(one, "a", "a-3")).toEqual({ granted: false, limit: "concurrent", count: 2 });
    expect(await submit(one, "b", "b-1")).toEqual({ granted: true });

    const worker = (held = holdJobs(fixture.queue, 10));
    await until(async () => (await fixture!.queue.get("a-2"))?.state === "running");
    await until(async () => (await fixture!.queue.get("a-1"))?.state === "running");
    await until(async () => (await fixture!.queue.get("b-1"))?.state === "running");
    // Running jobs are not queued: a queue share of one still admits a job...
    expect(await submit(one, "b", "b-2", { maxConcurrentJobs: 10, maxQueued: 1 })).toEqual({ granted: true });
    worker.finish();
    await until(async () => (await fixture!.queue.get("a-2"))?.state === "succeeded");
    await until(async () => (await fixture!.queue.get("a-1"))?.state === "succeeded");
    // ...and finished jobs count for nothing, with no release call.
    expect(await submit(other, "a", "a-3")).toEqual({ granted: true });
  });

  it("counts queued jobs against the queue share", async () => {
    fixture = await makeFixture();
    const [one] = fixture.gateways;
    const quota = { maxConcurrentJobs: 10, maxQueued: 2 };
    await submit(one, "a", "a-1", quota);
    await submit(one, "a", "a-2", quota);
    expect(await submit(one, "a", "a-3", quota)).toEqual({ granted: false, limit: "queued", count: 2 });
    await fixture.queue.cancel("a-1");
    expect(await submit(one, "a", "a-3", quota)).toEqual({ granted: true });
  });

  it("forgets a reservation whose job never arrived once the grace period is over", async () => {
    fixture = await makeFixture();
    const [one, other] = fixture.gateways;
    const quota = { maxConcurrentJobs: 1, maxQueued: 10 };
    // A gateway reserves, then dies before adding the job.
    expect(await one.reserve("a", "lost", quota)).toEqual({ granted: true });
    expect(await other.reserve("a", "next", quota)).toMatchObject({ granted: false });
    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now + RESERVATION_GRACE_MS + 1000);
    expect(await other.reserve("a", "next", quota)).toEqual({ granted: true });
  });

  it("grants no more than the limit to concurrent reservations from two gateways", async () => {
    fixture = await makeFixture();
    const [one, other] = fixture.gateways;
    const quota = { maxConcurrentJobs: 3, maxQueued: 10 };
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? one : other).reserve("a", `a-${i}`, quota)),
    );
    expect(outcomes.filter((o) => o.granted)).toHaveLength(3);
  });
});

/**
 * JobSubmitter.shedIfFull, the cheap check before admission's image decode: a full queue is
 * refused with RESOURCE_EXHAUSTED (and counted as shed), concurrent requests share one count,
 * a count is reused only for GATEWAY_QUEUE_COUNT_CACHE_MS, and a failed count is not reused.
 */
import { EngineError } from "@pixellm/errors";
import { afterEach, describe, expect, it, vi } from "vitest";
import { JobTelemetry } from "../src/job-telemetry";
import { JobSubmitter } from "../src/jobs";
import { MemoryJobQueue } from "../src/queue/memory-job-queue";
import { RedisKeys } from "../src/redis-keys";
import { MemoryBlobStore } from "../src/store/blob-store";
import { MemoryTenantJobs } from "../src/tenants/memory-tenant-jobs";
import { jobData } from "./job-data";

const CACHE_MS = 1000;

function setUp(maxQueued: number) {
  // No worker: added jobs stay queued.
  const queue = new MemoryJobQueue({ attempts: 1, backoffMs: 10, resultTtlSeconds: 60 });
  const telemetry = new JobTelemetry("memory");
  const submitter = new JobSubmitter(
    queue,
    new MemoryBlobStore(2 ** 30),
    new RedisKeys("shed-test"),
    {
      maxQueued,
      resultTtlSeconds: 60,
      queueCountCacheMs: CACHE_MS,
    },
    telemetry,
    new MemoryTenantJobs(queue),
  );
  const counts = vi.spyOn(queue, "counts");
  return { queue, submitter, counts, telemetry };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("JobSubmitter.shedIfFull", () => {
  it("passes with room, refuses a full queue, and counts the refusal as shed", async () => {
    const { queue, submitter, telemetry } = setUp(1);
    const shed = vi.spyOn(telemetry, "countShed");
    await submitter.shedIfFull();
    await queue.add(jobData(), { id: "a", priority: 0 });
    vi.useFakeTimers({ now: Date.now() + CACHE_MS + 1, toFake: ["Date"] });
    const error = await submitter.shedIfFull().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe("resource_exhausted");
    expect((error as EngineError).message).toBe("the queue is full (1 jobs waiting, limit 1); retry later");
    expect(shed).toHaveBeenCalledTimes(1);
    await queue.close(1000);
  });

  it("shares one count among concurrent requests and reuses it only within the cache time", async () => {
    const { queue, submitter, counts } = setUp(10);
    vi.useFakeTimers({ now: 1_000_000, toFake: ["Date"] });
    await Promise.all(Array.from({ length: 5 }, () => submitter.shedIfFull()));
    expect(counts).toHaveBeenCalledTimes(1);
    vi.setSystemTime(1_000_000 + CACHE_MS);
    await submitter.shedIfFull();
    expect(counts).toHaveBeenCalledTimes(1);
    vi.setSystemTime(1_000_000 + CACHE_MS + 1);
    await submitter.shedIfFull();
    expect(counts).toHaveBeenCalledTimes(2);
    await queue.close(1000);
  });

  it("does not reuse a failed count", async () => {
    const { queue, submitter, counts } = setUp(10);
    counts.mockRejectedValueOnce(new EngineError("unavailable", "Redis is down"));
    await expect(submitter.shedIfFull()).rejects.toThrow("Redis is down");
    await submitter.shedIfFull();
    expect(counts).toHaveBeenCalledTimes(2);
    await queue.close(1000);
  });
});

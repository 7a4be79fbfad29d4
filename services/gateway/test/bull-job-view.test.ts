/**
 * A job that finishes between the two reads of a job view (its data, then its state) must still
 * be seen with its result: before, GetJob, WatchJob and the sync Segment call could report a
 * success with an empty response. Real Redis; the race is forced by finishing the job inside the
 * state read.
 */
import { createLogger } from "@pixellm/service-kit";
import { Job, Queue } from "bullmq";
import { afterAll, expect, it, vi } from "vitest";
import type { JobResult } from "../src/job-types";
import { BullJobQueue } from "../src/queue/bull-job-queue";
import { RedisKeys } from "../src/redis-keys";
import { jobData } from "./job-data";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let queue: BullJobQueue | undefined;
afterAll(async () => {
  vi.restoreAllMocks();
  await queue?.close(1000);
});

it("sees the result of a job that completes while its view is being read", async () => {
  const keys = new RedisKeys(`test-job-view-${process.pid}-${Date.now()}`);
  queue = await BullJobQueue.open({
    redisUrl: REDIS_URL,
    keys,
    attempts: 1,
    backoffMs: 100,
    resultTtlSeconds: 60,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
    workerName: "test",
    logger: createLogger({ service: "test", level: "error" }),
  });
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const result = { text: "done" } as JobResult;
  queue.work(async () => {
    await finished;
    return result;
  }, 1);
  await queue.add(jobData(), { id: "race", priority: 0 });
  while ((await queue.get("race"))?.state !== "running") await new Promise((r) => setTimeout(r, 20));

  // The next view reads the job's data while it runs; the job completes before its state is read.
  const observer = new Queue(keys.queueName, { connection: { url: REDIS_URL }, prefix: keys.bullPrefix });
  vi.spyOn(Job.prototype, "getState").mockImplementationOnce(async () => {
    finish();
    while ((await observer.getJobState("race")) !== "completed") await new Promise((r) => setTimeout(r, 10));
    return "completed";
  });
  const view = await queue.get("race");
  await observer.close();
  expect(view?.state).toBe("succeeded");
  expect(view?.result).toEqual(result);
});

/**
 * A job that finishes between the two reads of a job view (its data, then its state) must still
 * be seen with its result: before, GetJob, WatchJob and the sync Segment call could report a
 * success with an empty response. Real Redis; the race is forced by finishing the job inside the
 * state read.
 */
import { Job, Queue } from "bullmq";
import { afterAll, expect, it, vi } from "vitest";
import type { JobResult } from "../src/job-types";
import type { BullJobQueue } from "../src/queue/bull-job-queue";
import { jobData } from "./job-data";
import { REDIS_URL, openBullQueue, uniqueKeys } from "./redis-queue";

let queue: BullJobQueue | undefined;
afterAll(async () => {
  vi.restoreAllMocks();
  await queue?.close(1000);
});

it("sees the result of a job that completes while its view is being read", async () => {
  const keys = uniqueKeys("job-view");
  queue = await openBullQueue(keys);
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

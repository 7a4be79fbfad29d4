/**
 * The embedded mode's queue reports its jobs by state as BullMQ does (what pixellm_queue_jobs
 * shows): every job has a priority, so waiting jobs are "prioritized"; running ones "active".
 */
import { expect, it } from "vitest";
import type { JobResult } from "../src/job-types";
import { MemoryJobQueue } from "../src/queue/memory-job-queue";
import { waitForEnd } from "../src/queue/watch";
import { jobData } from "./job-data";

it("counts waiting jobs as prioritized and running ones as active, then none", async () => {
  const queue = new MemoryJobQueue({ attempts: 1, backoffMs: 5, resultTtlSeconds: 60 });
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  queue.work(() => gate.then((): JobResult => ({ text: "done" })), 1);
  for (const id of ["a", "b", "c"]) await queue.add(jobData({ requestId: id }), { id, priority: 0 });
  expect((await queue.counts()).states).toEqual({ waiting: 0, prioritized: 2, delayed: 0, active: 1 });
  release();
  for (const id of ["a", "b", "c"]) await waitForEnd(queue, id, new AbortController().signal);
  expect((await queue.counts()).states).toEqual({ waiting: 0, prioritized: 0, delayed: 0, active: 0 });
  await queue.close(1000);
});

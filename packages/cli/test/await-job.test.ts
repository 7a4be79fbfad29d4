import type { Job__Output } from "@pixellm/api";
import { describe, expect, it } from "vitest";
import { type JobReader, awaitJob } from "../src/eval/await-job";

const job = (state: Job__Output["state"], result?: object): Job__Output =>
  ({ jobId: "j1", state, ...(result ? { result } : {}) }) as Job__Output;

/** A gateway whose watch yields `updates` (then throws, if `breaks`) and whose GetJob answers in turn. */
function fakeGateway(updates: Job__Output[], gets: Job__Output[], breaks = false) {
  const calls: string[] = [];
  const reader: JobReader = {
    async *watchJob() {
      calls.push("watch");
      for (const u of updates) yield await Promise.resolve(u);
      if (breaks) throw new Error("stream reset");
    },
    getJob() {
      calls.push("get");
      return Promise.resolve(gets.shift()!);
    },
  };
  return { reader, calls };
}

describe("awaitJob", () => {
  it("follows the watch to the end", async () => {
    const done = job("JOB_STATE_SUCCEEDED", { text: "ok" });
    const { reader, calls } = fakeGateway([job("JOB_STATE_RUNNING"), done], []);
    expect(await awaitJob(reader, job("JOB_STATE_QUEUED"), 1)).toBe(done);
    expect(calls).toEqual(["watch"]);
  });

  it("reads a success again when the watch reported it without its result", async () => {
    const done = job("JOB_STATE_SUCCEEDED", { text: "ok" });
    const { reader, calls } = fakeGateway([job("JOB_STATE_SUCCEEDED")], [done]);
    expect(await awaitJob(reader, job("JOB_STATE_QUEUED"), 1)).toBe(done);
    expect(calls).toEqual(["watch", "get"]);
  });

  it("polls GetJob when the watch breaks before the end", async () => {
    const failed = job("JOB_STATE_FAILED");
    const { reader, calls } = fakeGateway(
      [job("JOB_STATE_RUNNING")],
      [job("JOB_STATE_RUNNING"), failed],
      true,
    );
    expect(await awaitJob(reader, job("JOB_STATE_QUEUED"), 1)).toBe(failed);
    expect(calls).toEqual(["watch", "get", "get"]);
  });
});

/**
 * A stage refusal that is only load (RESOURCE_EXHAUSTED with a retry pushback) is waited out
 * within the job's deadline, backing off from the pushback; every other failure, a cancelled
 * job and a spent deadline end the call as before.
 */
import { status } from "@grpc/grpc-js";
import { statusOf } from "@pixellm/api";
import { EngineError } from "@pixellm/errors";
import { expect, it } from "vitest";
import { MAX_BUSY_PAUSE_MS, whileBusy } from "../src/stages/waiting-while-busy";

const busy = (retryAfterMs = 20) =>
  new EngineError("resource_exhausted", "the stage queue is full (1 waiting); retry later", { retryAfterMs });
const context = (deadlineInMs: number, signal = new AbortController().signal) => ({
  requestId: "r",
  deadline: Date.now() + deadlineInMs,
  signal,
});

it("calls again after the pushback until the stage takes the request", async () => {
  const calledAt: number[] = [];
  const answer = await whileBusy("vision", context(10_000), () => {
    calledAt.push(performance.now());
    return calledAt.length < 4 ? Promise.reject(busy(20)) : Promise.resolve("encoded");
  });
  expect(answer).toBe("encoded");
  expect(calledAt).toHaveLength(4);
  // Pauses back off from the pushback, doubling, jittered to [half, whole]: 20, 40, 80 ms at
  // most, 10, 20, 40 at least (a 2 ms timer tolerance).
  const pauses = calledAt.slice(1).map((t, i) => t - calledAt[i]!);
  [10, 20, 40].forEach((least, i) => expect(pauses[i]).toBeGreaterThanOrEqual(least - 2));
  expect(pauses.reduce((a, b) => a + b)).toBeLessThan(140 + 200); // 200 ms of slack for a busy machine
});

it("ends DEADLINE_EXCEEDED, naming the stage, when the deadline passes while it is busy", async () => {
  const started = Date.now();
  let calls = 0;
  const outcome = await whileBusy("llm", context(150), () => {
    calls++;
    return Promise.reject(busy(20));
  }).catch((error: unknown) => error);
  expect(statusOf(outcome)).toEqual({
    code: status.DEADLINE_EXCEEDED,
    message:
      "the deadline passed while the llm stage was busy (the stage queue is full (1 waiting); retry later)",
  });
  expect(calls).toBeGreaterThan(1);
  expect(Date.now() - started).toBeGreaterThanOrEqual(148);
  expect(Date.now() - started).toBeLessThan(150 + MAX_BUSY_PAUSE_MS);
});

it("ends CANCELLED at once when the job is cancelled during a pause", async () => {
  const cancel = new AbortController();
  let calls = 0;
  const outcome = whileBusy("decoder", context(10_000, cancel.signal), () => {
    calls++;
    return Promise.reject(busy(5_000));
  }).catch((error: unknown) => error);
  setTimeout(() => cancel.abort(), 30);
  const started = Date.now();
  expect(statusOf(await outcome).code).toBe(status.CANCELLED);
  expect(calls).toBe(1);
  expect(Date.now() - started).toBeLessThan(1_000);
});

it("passes every other failure on after one call, RESOURCE_EXHAUSTED without a pushback included", async () => {
  for (const failure of [
    new EngineError("resource_exhausted", "message larger than max"),
    new EngineError("unavailable", "no llm replica could take the request"),
    new EngineError("invalid_argument", "bad tensor"),
  ]) {
    let calls = 0;
    const outcome = await whileBusy("llm", context(10_000), () => {
      calls++;
      return Promise.reject(failure);
    }).catch((error: unknown) => error);
    expect(outcome).toBe(failure);
    expect(calls).toBe(1);
  }
});

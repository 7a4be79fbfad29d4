import { makeTensor } from "@pixellm/tensor";
import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EngineError, type GenerationResult } from "../src";
import { IMAGE_TOKEN } from "./support/fake-model";
import { expectedOutput, gate, promptIds, request } from "./support/requests";
import { setup } from "./support/scheduler";

/** Tracks a promise's outcome without awaiting it. */
function watch(promise: Promise<GenerationResult>): {
  state: "pending" | "resolved" | "rejected";
  error?: unknown;
} {
  const seen: { state: "pending" | "resolved" | "rejected"; error?: unknown } = { state: "pending" };
  promise.then(
    () => (seen.state = "resolved"),
    (error: unknown) => Object.assign(seen, { state: "rejected", error }),
  );
  return seen;
}

/** Lets the scheduler loop and promise callbacks run (a few macrotask turns). */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

const stepsWith = (calls: readonly { kind: string; tags: readonly number[]; index: number }[], tag: number) =>
  calls.filter((c) => c.kind === "step" && c.tags.includes(tag)).map((c) => c.index);

afterEach(() => {
  vi.useRealTimers();
});

describe("LlmScheduler: deadlines", () => {
  it("fails a waiting sequence whose deadline passes, before it uses any compute", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.now();
    let callsWhenRejected = -1;
    const { fake, scheduler } = setup(
      { maxBatchSize: 1 },
      { beforeCall: (call) => void (call.index === 3 && vi.setSystemTime(t0 + 1000)) },
    );
    const a = scheduler.submit(request(1, { maxNewTokens: 8 }));
    const b = scheduler.submit(request(2, { deadline: t0 + 1000 }));
    const error = (await b.catch((e: unknown) => {
      callsWhenRejected = fake.calls.length;
      return e;
    })) as EngineError;
    expect(error).toBeInstanceOf(EngineError);
    expect(error.code).toBe("deadline_exceeded");
    // Rejected at the boundary after call 3, while A still runs.
    expect(callsWhenRejected).toBe(4);
    expect((await a).outputIds).toEqual(expectedOutput(promptIds(1), 8));
    expect(fake.calls.some((c) => c.tags.includes(2))).toBe(false);
    expect(scheduler.stats()).toMatchObject({ deadlineExceeded: 1, completed: 1, failed: 0, cancelled: 0 });
  });

  it("retires a running sequence at the step after its deadline; its neighbours go on unchanged", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.now();
    const { fake, scheduler } = setup(
      {},
      { beforeCall: (call) => void (call.index === 4 && vi.setSystemTime(t0 + 50)) },
    );
    const a = scheduler.submit(request(1, { maxNewTokens: 10 }));
    const b = scheduler.submit(request(2, { maxNewTokens: 10, deadline: t0 + 50 }));
    const c = scheduler.submit(request(3, { maxNewTokens: 10, promptLength: 20 }));
    await expect(b).rejects.toMatchObject({
      code: "deadline_exceeded",
      message: "the deadline passed after 3 generated tokens",
    });
    // Calls: 0 prefill A, 1 step A, 2 prefill B+C, 3 and 4 steps with B; none after.
    expect(stepsWith(fake.calls, 2)).toEqual([3, 4]);
    expect((await a).outputIds).toEqual(expectedOutput(promptIds(1), 10));
    expect((await c).outputIds).toEqual(expectedOutput(promptIds(3, 20), 10));
    expect(fake.violations).toEqual([]);
    expect(scheduler.stats()).toMatchObject({ deadlineExceeded: 1, completed: 2, running: 0, kvTokens: 0 });
  });

  it("fails a sequence whose deadline has already passed without prefilling it", async () => {
    const { fake, scheduler } = setup();
    await expect(scheduler.submit(request(1, { deadline: Date.now() - 1 }))).rejects.toMatchObject({
      code: "deadline_exceeded",
    });
    expect(fake.calls).toEqual([]);
    expect(scheduler.stats().deadlineExceeded).toBe(1);
  });
});

describe("LlmScheduler: cancellation", () => {
  it("rejects a waiting sequence as soon as its signal aborts, even while a step is running", async () => {
    const stepGate = gate();
    const { fake, scheduler } = setup(
      { maxBatchSize: 1 },
      { beforeCall: (call) => (call.index === 1 ? stepGate.promise : undefined) },
    );
    const a = scheduler.submit(request(1, { maxNewTokens: 4 }));
    const controller = new AbortController();
    const b = watch(scheduler.submit(request(2, { signal: controller.signal })));
    await settle();
    expect(fake.calls).toHaveLength(2); // A's first step is held
    controller.abort();
    await settle(1);
    expect(b.state).toBe("rejected");
    expect(b.error).toMatchObject({ code: "cancelled" });
    expect(fake.calls).toHaveLength(2);
    stepGate.open();
    expect((await a).outputIds).toEqual(expectedOutput(promptIds(1), 4));
    expect(fake.calls.some((c) => c.tags.includes(2))).toBe(false);
    expect(scheduler.stats()).toMatchObject({ cancelled: 1, completed: 1 });
  });

  it("rejects at once a sequence whose signal was aborted before it was submitted", async () => {
    const stepGate = gate();
    const { fake, scheduler } = setup(
      {},
      { beforeCall: (call) => (call.index === 1 ? stepGate.promise : undefined) },
    );
    const a = scheduler.submit(request(1, { maxNewTokens: 3 }));
    await settle();
    const b = watch(scheduler.submit(request(2, { signal: AbortSignal.abort() })));
    await settle(1);
    expect(b.state).toBe("rejected");
    expect(b.error).toMatchObject({ code: "cancelled" });
    stepGate.open();
    await a;
    expect(fake.calls.some((c) => c.tags.includes(2))).toBe(false);
    expect(scheduler.stats().cancelled).toBe(1);
  });

  it("stops a running sequence at the next step when its signal aborts", async () => {
    const controller = new AbortController();
    const { fake, scheduler } = setup(
      {},
      { beforeCall: (call) => void (call.index === 5 && controller.abort()) },
    );
    const a = scheduler.submit(request(1, { maxNewTokens: 10 }));
    const b = scheduler.submit(request(2, { maxNewTokens: 10, signal: controller.signal }));
    await expect(b).rejects.toMatchObject({ code: "cancelled" });
    expect((await a).outputIds).toEqual(expectedOutput(promptIds(1), 10));
    // B was in the step that was running when it aborted, and in none after.
    expect(stepsWith(fake.calls, 2)).toEqual([3, 4, 5]);
    expect(fake.violations).toEqual([]);
    expect(scheduler.stats()).toMatchObject({ cancelled: 1, completed: 1, failed: 0, kvTokens: 0 });
  });

  it("emits no token and keeps no KV row for a sequence cancelled during its prefill", async () => {
    const controller = new AbortController();
    const tokens: number[] = [];
    const { fake, scheduler } = setup(
      {},
      { beforeCall: (call) => void (call.kind === "prefill" && call.tags.includes(2) && controller.abort()) },
    );
    const a = scheduler.submit(request(1, { maxNewTokens: 6 }));
    const b = scheduler.submit(
      request(2, { maxNewTokens: 6, signal: controller.signal, onToken: (t) => tokens.push(t) }),
    );
    await expect(b).rejects.toMatchObject({ code: "cancelled" });
    await a;
    expect(tokens).toEqual([]);
    expect(stepsWith(fake.calls, 2)).toEqual([]);
    expect(scheduler.stats()).toMatchObject({ cancelled: 1, completed: 1, generatedTokens: 6 });
  });

  it("removes its abort listener once a sequence settles", async () => {
    const controller = new AbortController();
    const { scheduler } = setup();
    await Promise.all([1, 2, 3].map((tag) => scheduler.submit(request(tag, { signal: controller.signal }))));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    controller.abort();
    expect(scheduler.stats()).toMatchObject({ cancelled: 0, completed: 3 });
  });
});

describe("LlmScheduler: failures", () => {
  it("fails only the sequences of a prefill that throws; running and later ones succeed", async () => {
    const { fake, scheduler } = setup(
      {},
      {
        beforeCall: (call) => {
          if (call.kind === "prefill" && call.tags.includes(2)) throw new Error("device lost");
        },
      },
    );
    const a = scheduler.submit(request(1, { maxNewTokens: 8 }));
    const b = scheduler.submit(request(2));
    const c = scheduler.submit(request(3, { maxNewTokens: 5 }));
    await expect(b).rejects.toMatchObject({ code: "internal", message: "generation failed: device lost" });
    await expect(c).rejects.toMatchObject({ code: "internal" }); // prefilled in the same run as B
    expect((await a).outputIds).toEqual(expectedOutput(promptIds(1), 8));
    const later = await scheduler.submit(request(4, { maxNewTokens: 3 }));
    expect(later.outputIds).toEqual(expectedOutput(promptIds(4), 3));
    expect(fake.violations).toEqual([]);
    expect(scheduler.stats()).toMatchObject({ failed: 2, completed: 2 });
  });

  it("fails the batch of a step that throws, keeps its error code, and serves waiting and later work", async () => {
    const { fake, scheduler } = setup(
      { maxBatchSize: 2 },
      {
        beforeCall: (call) => {
          if (call.index === 4) throw new EngineError("resource_exhausted", "out of device memory");
        },
      },
    );
    const a = scheduler.submit(request(1, { maxNewTokens: 10 }));
    const b = scheduler.submit(request(2, { maxNewTokens: 10 }));
    const c = scheduler.submit(request(3, { maxNewTokens: 4 }));
    for (const failed of [a, b])
      await expect(failed).rejects.toMatchObject({
        code: "resource_exhausted",
        message: "out of device memory",
      });
    expect((await c).outputIds).toEqual(expectedOutput(promptIds(3), 4));
    expect((await scheduler.submit(request(4, { maxNewTokens: 3 }))).outputIds).toEqual(
      expectedOutput(promptIds(4), 3),
    );
    expect(stepsWith(fake.calls, 3).every((i) => i > 4)).toBe(true);
    expect(fake.violations).toEqual([]);
    expect(scheduler.stats()).toMatchObject({ failed: 2, completed: 2, running: 0, kvTokens: 0 });
  });

  it("rejects a malformed prompt or image at submission, before it shares a prefill", async () => {
    const { fake, scheduler } = setup();
    const a = scheduler.submit(request(1, { maxNewTokens: 3 }));
    const bad = expect(
      scheduler.submit({ ...request(2), promptIds: [2, IMAGE_TOKEN, 10, IMAGE_TOKEN, 11] }),
    ).rejects.toMatchObject({ code: "invalid_argument" });
    const badMask = expect(
      scheduler.submit({ ...request(3), imageMask: makeTensor("uint8", [10], new Uint8Array(10)) }),
    ).rejects.toMatchObject({ code: "invalid_argument" });
    const good = scheduler.submit(request(4, { maxNewTokens: 4 }));
    await bad;
    await badMask;
    expect((await good).outputIds).toEqual(expectedOutput(promptIds(4), 4));
    await a;
    expect(fake.prefills().map((p) => p.tags)).toEqual([[1], [4]]);
    // Refused like any invalid request, before admission: not counted as failed sequences.
    expect(scheduler.stats()).toMatchObject({ failed: 0, completed: 2 });
  });

  it("fails only the sequence whose token callback throws", async () => {
    const { fake, scheduler } = setup();
    const a = scheduler.submit(request(1, { maxNewTokens: 8 }));
    let seen = 0;
    const b = scheduler.submit(
      request(2, {
        maxNewTokens: 8,
        onToken: () => {
          if (++seen === 3) throw new Error("stream closed");
        },
      }),
    );
    await expect(b).rejects.toMatchObject({
      code: "internal",
      message: expect.stringContaining("stream closed") as string,
    });
    expect((await a).outputIds).toEqual(expectedOutput(promptIds(1), 8));
    expect(seen).toBe(3);
    // B's third token came from its second step; it took no step after that.
    expect(stepsWith(fake.calls, 2)).toHaveLength(2);
    expect(fake.violations).toEqual([]);
    expect(scheduler.stats()).toMatchObject({ failed: 1, completed: 1, running: 0, kvTokens: 0 });
  });
});

describe("LlmScheduler: drain", () => {
  it("finishes running and waiting work, then refuses new work with unavailable", async () => {
    const { scheduler } = setup({ maxBatchSize: 1 });
    const a = watch(scheduler.submit(request(1, { maxNewTokens: 5 })));
    const b = watch(scheduler.submit(request(2, { maxNewTokens: 3 })));
    const drained = scheduler.drain();
    await expect(scheduler.submit(request(3))).rejects.toMatchObject({ code: "unavailable" });
    await drained;
    expect([a.state, b.state]).toEqual(["resolved", "resolved"]);
    expect(scheduler.stats()).toMatchObject({ completed: 2, waiting: 0, running: 0 });
    await expect(scheduler.submit(request(4))).rejects.toBeInstanceOf(EngineError);
    await scheduler.drain(); // idempotent once idle
  });
});

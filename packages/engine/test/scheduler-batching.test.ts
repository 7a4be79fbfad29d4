import { describe, expect, it } from "vitest";
import { EngineError, type GenerationResult } from "../src";
import { EOS, type FakeCall, type NextToken, defaultNext } from "./support/fake-model";
import { embedded, expectedOutput, promptIds, request } from "./support/requests";
import { setup } from "./support/scheduler";

/** The fake model's hidden size. */
const H = 4;
const tagsOf = (calls: readonly FakeCall[]) => calls.map((c) => [...c.tags]);

describe("LlmScheduler: one sequence", () => {
  it("decodes greedily: each token follows from the one before and its position", async () => {
    const { fake, scheduler } = setup();
    const streamed: number[] = [];
    const result = await scheduler.submit(request(7, { maxNewTokens: 5, onToken: (t) => streamed.push(t) }));
    const expected = expectedOutput(promptIds(7), 5);
    expect(result.outputIds).toEqual(expected);
    expect(streamed).toEqual(expected);
    expect(result.finishReason).toBe("length");
    expect(result.promptPositions).toBe(embedded(6));
    expect(result.codebookHidden.shape).toEqual([0, H]);
    // One prefill gives the first token, then one step per further token.
    expect(fake.calls.map((c) => c.kind)).toEqual(["prefill", "step", "step", "step", "step"]);
    // Position ids continue from the prompt: the first step feeds the first new token at E.
    expect(fake.steps().map((c) => c.positions[0])).toEqual([261, 262, 263, 264]);
    expect(fake.violations).toEqual([]);
    expect(scheduler.stats()).toMatchObject({
      prefillRuns: 1,
      prefillRows: 1,
      decodeSteps: 4,
      decodeRows: 4,
      generatedTokens: 5,
      completed: 1,
      waiting: 0,
      running: 0,
      kvTokens: 0,
    });
  });

  it("stops at eos with the eos kept, and ignoreEos generates past it", async () => {
    // Tag 9 produces eos as its third token (fed at position E + 1).
    const next: NextToken = (tag, token, position) =>
      tag === 9 && position === embedded(6) + 1 ? EOS : defaultNext(tag, token, position);
    const { fake, scheduler } = setup({}, { next });
    const stopped = await scheduler.submit(request(9, { maxNewTokens: 10 }));
    expect(stopped.finishReason).toBe("eos");
    expect(stopped.outputIds).toEqual(expectedOutput(promptIds(9), 10, next, EOS));
    expect(stopped.outputIds).toHaveLength(3);
    expect(stopped.outputIds.at(-1)).toBe(EOS);
    expect(fake.steps()).toHaveLength(2);

    const kept = await scheduler.submit(request(9, { maxNewTokens: 10, ignoreEos: true }));
    expect(kept.finishReason).toBe("length");
    expect(kept.outputIds).toEqual(expectedOutput(promptIds(9), 10, next));
    expect(kept.outputIds[2]).toBe(EOS);
  });

  it("stops at the context limit with max_context, never feeding a position past it", async () => {
    const { fake, scheduler } = setup({}, { maxPositions: 270 });
    const result = await scheduler.submit(request(4, { maxNewTokens: 100 }));
    expect(result.finishReason).toBe("max_context");
    // 261 prompt positions + 9 new tokens = 270 = max_position_embeddings.
    expect(result.outputIds).toEqual(expectedOutput(promptIds(4), 9));
    expect(Math.max(...fake.steps().flatMap((c) => c.positions))).toBeLessThan(270);
  });

  it("rejects a prompt longer than the context, a bad max_new_tokens or sampling with invalid_argument", async () => {
    const { fake, scheduler } = setup({}, { maxPositions: 270 });
    await expect(scheduler.submit(request(1, { promptLength: 20 }))).rejects.toMatchObject({
      code: "invalid_argument",
      message: expect.stringContaining("275 positions") as string,
    });
    await expect(
      scheduler.submit(request(1, { answerIds: Array<number>(10).fill(12) })),
    ).rejects.toMatchObject({ code: "invalid_argument" });
    for (const maxNewTokens of [0, -1, 1.5, Number.NaN]) {
      await expect(scheduler.submit(request(1, { maxNewTokens }))).rejects.toMatchObject({
        code: "invalid_argument",
      });
    }
    await expect(
      scheduler.submit(request(1, { sampling: { temperature: 0.7, topP: 0, seed: 1 } })),
    ).rejects.toMatchObject({
      code: "invalid_argument",
      message: expect.stringContaining("top_p") as string,
    });
    expect(fake.calls).toEqual([]);
    expect(scheduler.stats()).toMatchObject({ waiting: 0, running: 0 });
  });

  it("reproduces a sampled sequence from its seed", async () => {
    const run = async (seed: number) =>
      (
        await setup().scheduler.submit(
          request(3, { maxNewTokens: 24, sampling: { temperature: 1, topP: 1, seed } }),
        )
      ).outputIds;
    const first = await run(11);
    expect(await run(11)).toEqual(first);
    expect(await run(12)).not.toEqual(first);
    // One-hot logits at temperature 1 leave the greedy token at e / (e + 63) ≈ 4 %.
    expect(first).not.toEqual(expectedOutput(promptIds(3), 24));
  });
});

describe("LlmScheduler: continuous batching", () => {
  it("gives sequences decoded together the outputs they get alone", async () => {
    const specs = [
      { tag: 1, promptLength: 6, maxNewTokens: 9 },
      { tag: 2, promptLength: 14, maxNewTokens: 4 },
      { tag: 3, promptLength: 3, maxNewTokens: 12 },
      { tag: 4, promptLength: 9, maxNewTokens: 1 },
      { tag: 5, promptLength: 30, maxNewTokens: 7 },
    ];
    const alone: number[][] = [];
    for (const spec of specs) alone.push((await setup().scheduler.submit(request(spec.tag, spec))).outputIds);
    specs.forEach((spec, i) =>
      expect(alone[i]).toEqual(expectedOutput(promptIds(spec.tag, spec.promptLength), spec.maxNewTokens)),
    );

    const { fake, scheduler } = setup({ maxPrefillRows: 2 });
    const together = await Promise.all(specs.map((spec) => scheduler.submit(request(spec.tag, spec))));
    expect(together.map((r) => r.outputIds)).toEqual(alone);
    expect(fake.violations).toEqual([]);
    const stats = scheduler.stats();
    expect(stats.decodeRows / stats.decodeSteps).toBeGreaterThan(1);
    expect(stats.decodeRows).toBe(specs.reduce((n, s) => n + s.maxNewTokens - 1, 0));
    expect(stats).toMatchObject({ prefillRuns: 3, prefillRows: 5, completed: 5, generatedTokens: 33 });
  });

  it("lets sequences join mid-way and leave at different times, each cache intact", async () => {
    const results: Promise<GenerationResult>[] = [];
    const { fake, scheduler } = setup(
      {},
      {
        beforeCall: (call) => {
          // During A's first step, B (short) and C (long prompt) arrive.
          if (call.index === 1) {
            results.push(scheduler.submit(request(2, { maxNewTokens: 3, promptLength: 4 })));
            results.push(scheduler.submit(request(3, { maxNewTokens: 6, promptLength: 40 })));
          }
          if (call.index === 6)
            results.push(scheduler.submit(request(4, { maxNewTokens: 4, promptLength: 12 })));
        },
      },
    );
    const a = await scheduler.submit(request(1, { maxNewTokens: 12 }));
    const [b, c, d] = await Promise.all(results);
    expect(a.outputIds).toEqual(expectedOutput(promptIds(1), 12));
    expect(b!.outputIds).toEqual(expectedOutput(promptIds(2, 4), 3));
    expect(c!.outputIds).toEqual(expectedOutput(promptIds(3, 40), 6));
    expect(d!.outputIds).toEqual(expectedOutput(promptIds(4, 12), 4));
    expect(fake.violations).toEqual([]);

    // Calls: 0 prefill A, 1 step A, 2 prefill B+C, then B and C step with A; B leaves after 2
    // steps, C after 5; D (submitted during call 6) is prefilled at call 7 and takes 3 steps.
    expect(tagsOf(fake.prefills())).toEqual([[1], [2, 3], [4]]);
    expect(tagsOf(fake.steps())).toEqual([
      [1],
      [1, 2, 3],
      [1, 2, 3],
      [1, 3],
      [1, 3],
      [1, 3, 4],
      [1, 4],
      [1, 4],
      [1],
      [1],
      [1],
    ]);
    expect(scheduler.stats()).toMatchObject({
      decodeSteps: 11,
      decodeRows: 11 + 2 + 5 + 3,
      prefillRuns: 3,
      prefillRows: 4,
      completed: 4,
      running: 0,
      kvTokens: 0,
    });
  });

  it("never runs more than maxBatchSize rows or maxPrefillRows per prefill", async () => {
    const { fake, scheduler } = setup({ maxBatchSize: 3, maxPrefillRows: 2 });
    const specs = Array.from({ length: 8 }, (_, i) => ({ tag: i + 1, maxNewTokens: 2 + ((i * 5) % 7) }));
    const results = await Promise.all(specs.map((s) => scheduler.submit(request(s.tag, s))));
    results.forEach((r, i) =>
      expect(r.outputIds).toEqual(expectedOutput(promptIds(i + 1), specs[i]!.maxNewTokens)),
    );
    expect(Math.max(...fake.steps().map((c) => c.tags.length))).toBe(3);
    expect(Math.max(...fake.prefills().map((c) => c.tags.length))).toBe(2);
    expect(fake.violations).toEqual([]);
  });

  it("counts running and waiting sequences and the KV held while it works", async () => {
    const seen: { waiting: number; running: number; kvTokens: number }[] = [];
    const { scheduler } = setup(
      { maxBatchSize: 2 },
      {
        beforeCall: (call) => {
          if (call.kind === "step") {
            const { waiting, running, kvTokens } = scheduler.stats();
            seen.push({ waiting, running, kvTokens });
          }
        },
      },
    );
    await Promise.all([
      scheduler.submit(request(1, { maxNewTokens: 3 })),
      scheduler.submit(request(2, { maxNewTokens: 3, promptLength: 8 })),
      scheduler.submit(request(3, { maxNewTokens: 2 })),
    ]);
    // The first submission starts the loop alone (261 positions); the second joins with 263,
    // padding A's 262; once A leaves, the third joins B, whose 264 positions set the padding.
    expect(seen).toEqual([
      { waiting: 2, running: 1, kvTokens: 261 },
      { waiting: 1, running: 2, kvTokens: 2 * 263 },
      { waiting: 0, running: 2, kvTokens: 2 * 264 },
    ]);
    expect(scheduler.stats()).toMatchObject({ waiting: 0, running: 0, kvTokens: 0 });
  });
});

describe("LlmScheduler: KV budget", () => {
  it("keeps a sequence waiting while the budget is full and admits it when rows leave", async () => {
    // Final lengths: A 261 + 4, B and C 261 + 10. Two rows fit 600 (2 × 271), three do not.
    const budget = 600;
    let mostHeld = 0;
    const { fake, scheduler } = setup(
      { kvBudgetTokens: budget },
      { beforeCall: () => void (mostHeld = Math.max(mostHeld, scheduler.stats().kvTokens)) },
    );
    const [a, b, c] = await Promise.all([
      scheduler.submit(request(1, { maxNewTokens: 4 })),
      scheduler.submit(request(2, { maxNewTokens: 10 })),
      scheduler.submit(request(3, { maxNewTokens: 10 })),
    ]);
    expect(a.outputIds).toEqual(expectedOutput(promptIds(1), 4));
    expect(b.outputIds).toEqual(expectedOutput(promptIds(2), 10));
    expect(c.outputIds).toEqual(expectedOutput(promptIds(3), 10));
    // The first submission starts the loop alone, B joins it, C waits.
    expect(tagsOf(fake.prefills())).toEqual([[1], [2], [3]]);
    // C is prefilled only once A has taken its 3 steps and left.
    const lastStepOfA = Math.max(
      ...fake
        .steps()
        .filter((s) => s.tags.includes(1))
        .map((s) => s.index),
    );
    expect(fake.prefills()[2]!.index).toBe(lastStepOfA + 1);
    expect(Math.max(...fake.steps().map((s) => s.tags.length))).toBe(2);
    expect(mostHeld).toBeGreaterThan(0);
    expect(mostHeld).toBeLessThanOrEqual(budget);
    expect(fake.violations).toEqual([]);
  });

  it("rejects at once, with invalid_argument (permanent), a sequence larger than the whole budget", async () => {
    const { fake, scheduler } = setup({ kvBudgetTokens: 300 });
    const error = (await scheduler
      .submit(request(1, { maxNewTokens: 40 }))
      .catch((e: unknown) => e)) as EngineError;
    expect(error).toBeInstanceOf(EngineError);
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toContain("301 KV positions");
    expect(error.message).toContain("KV budget is 300 (LLM_KV_BUDGET_TOKENS)");
    expect(fake.calls).toEqual([]);
    // One that fits exactly is served.
    const fits = await scheduler.submit(request(2, { maxNewTokens: 39 }));
    expect(fits.outputIds).toHaveLength(39);
  });

  it("projects a sequence to the context limit, not to an unreachable max_new_tokens", async () => {
    const { scheduler } = setup({ kvBudgetTokens: 300 }, { maxPositions: 300 });
    const result = await scheduler.submit(request(1, { maxNewTokens: 100_000 }));
    expect(result.finishReason).toBe("max_context");
    expect(result.outputIds).toHaveLength(300 - 261);
  });
});

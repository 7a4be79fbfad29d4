import { describe, expect, it } from "vitest";
import type { GenerationResult } from "../src";
import {
  EOS,
  HIDDEN_POSITION,
  HIDDEN_TAG,
  HIDDEN_TOKEN,
  IMAGE_TOKEN,
  type NextToken,
  SEG,
  defaultNext,
} from "./support/fake-model";
import { embedded, expectedOutput, promptIds, request } from "./support/requests";
import { setup } from "./support/scheduler";

const H = 4;
const isSeg = (id: number) => (SEG as readonly number[]).includes(id);

/** The reference rule, stated independently: index t ≥ 1 holding a SEG id → position t + 254. */
function gatheredPositions(fullIds: readonly number[]): number[] {
  return fullIds.flatMap((id, t) => (t >= 1 && isSeg(id) ? [t + 254] : []));
}

/** [tag, position, token] of each gathered hidden state. */
function gathered(result: GenerationResult): [number, number, number][] {
  const [count, width] = result.codebookHidden.shape as [number, number];
  expect(width).toBe(H);
  return Array.from({ length: count }, (_, i) => {
    const h = result.codebookHidden.data.subarray(i * H, (i + 1) * H);
    return [h[HIDDEN_TAG]!, h[HIDDEN_POSITION]!, h[HIDDEN_TOKEN]!];
  });
}

/** For ids after the image, position t + 254 holds id t - 1: the state whose logits chose id t. */
function expectedStates(tag: number, fullIds: readonly number[]): [number, number, number][] {
  return fullIds.flatMap<[number, number, number]>((id, t) =>
    t >= 1 && isSeg(id) ? [[tag, t + 254, fullIds[t - 1]!]] : [],
  );
}

describe("LlmScheduler: codebook states", () => {
  it("teacher forcing returns the given answer and gathers its SEG states from one prefill", async () => {
    const { fake, scheduler } = setup();
    const prompt = promptIds(5, 8);
    const answer = [12, 13, ...SEG, 14, ...SEG, 15, EOS];
    const result = await scheduler.submit({ ...request(5), promptIds: prompt, answerIds: answer });
    expect(result.finishReason).toBe("teacher_forced");
    expect(result.outputIds).toEqual(answer);
    expect(result.codebookHidden.shape).toEqual([12, H]);
    const full = [...prompt, ...answer];
    expect(gathered(result).map((s) => s[1])).toEqual(gatheredPositions(full));
    expect(gathered(result)).toEqual(expectedStates(5, full));
    // Nothing decoded: one prefill over prompt and answer.
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({ kind: "prefill", width: embedded(8) + answer.length });
    expect(scheduler.stats()).toMatchObject({ completed: 1, generatedTokens: 0, decodeSteps: 0, running: 0 });
  });

  it("gathers generated SEG tokens at the state that produced them, the first from the prompt's end", async () => {
    const E = embedded(6);
    // Tag 2 emits SEG0 as its first token (from position E - 1), then SEG1…SEG5 after one text token.
    const next: NextToken = (tag, token, position) => {
      if (tag !== 2) return defaultNext(tag, token, position);
      if (position === E - 1) return SEG[0];
      if (position >= E + 1 && position <= E + 5) return SEG[position - E]!;
      return position === E + 7 ? EOS : defaultNext(tag, token, position);
    };
    const { fake, scheduler } = setup({}, { next });
    // A first sequence starts the loop (and stays row 0 of every step), so tag 2 shares its
    // prefill with a longer prompt (left-padded) and decodes as row 1.
    const warm = scheduler.submit(request(1, { maxNewTokens: 20 }));
    const [seg, plain] = await Promise.all([
      scheduler.submit(request(2, { maxNewTokens: 20 })),
      scheduler.submit(request(3, { maxNewTokens: 12, promptLength: 30 })),
    ]);
    await warm;
    expect(fake.prefills().map((p) => p.tags)).toEqual([[1], [2, 3]]);
    const outputs = expectedOutput(promptIds(2), 20, next, EOS);
    expect(seg.outputIds).toEqual(outputs);
    expect(seg.finishReason).toBe("eos");
    expect(outputs.filter(isSeg)).toHaveLength(6);
    const full = [...promptIds(2), ...outputs];
    expect(gathered(seg)).toEqual(expectedStates(2, full));
    expect(gathered(seg)[0]).toEqual([2, E - 1, full[5]!]);
    expect(plain.codebookHidden.shape).toEqual([0, H]);
    expect(fake.violations).toEqual([]);
  });

  it("also gathers SEG ids that are already in the prompt (official quirk), before generated ones", async () => {
    const prompt = [6, IMAGE_TOKEN, 10, SEG[0], 11, SEG[1], 12];
    const E = embedded(prompt.length);
    const next: NextToken = (tag, token, position) =>
      position === E ? SEG[2] : defaultNext(tag, token, position);
    const { scheduler } = setup({}, { next });
    const result = await scheduler.submit({ ...request(6, { maxNewTokens: 4 }), promptIds: prompt });
    const full = [...prompt, ...result.outputIds];
    expect(result.outputIds[1]).toBe(SEG[2]);
    expect(result.codebookHidden.shape).toEqual([3, H]);
    expect(gathered(result)).toEqual(expectedStates(6, full));
    expect(gathered(result).map((s) => s[1])).toEqual([257, 259, E]);
  });

  it("teacher-forces one sequence beside generating ones without giving it a batch row", async () => {
    const { fake, scheduler } = setup();
    const first = scheduler.submit(request(1, { maxNewTokens: 6 }));
    const answer = [20, ...SEG, EOS];
    const [forced, generated] = await Promise.all([
      scheduler.submit({ ...request(2), answerIds: answer }),
      scheduler.submit(request(3, { maxNewTokens: 5, promptLength: 40 })),
    ]);
    expect(fake.prefills().map((p) => p.tags)).toEqual([[1], [2, 3]]);
    expect(forced.outputIds).toEqual(answer);
    // The forced row is the shorter one: its states are read past its left padding.
    expect(gathered(forced)).toEqual(expectedStates(2, [...promptIds(2), ...answer]));
    expect(generated.outputIds).toEqual(expectedOutput(promptIds(3, 40), 5));
    expect((await first).outputIds).toEqual(expectedOutput(promptIds(1), 6));
    expect(fake.steps().some((s) => s.tags.includes(2))).toBe(false);
    expect(fake.prefills().some((p) => p.tags.includes(2))).toBe(true);
    expect(fake.violations).toEqual([]);
  });
});

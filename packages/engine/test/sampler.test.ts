import { describe, expect, it } from "vitest";
import { EngineError, GREEDY, argmax, createSampler } from "../src";

const logitsOf = (probabilities: number[]) => Float32Array.from(probabilities, Math.log);

function frequencies(
  sample: (logits: Float32Array) => number,
  logits: Float32Array,
  draws: number,
): number[] {
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sample(logits)]!++;
  return counts.map((c) => c / draws);
}

describe("argmax", () => {
  it("returns the first index of the maximum, as torch.argmax does", () => {
    expect(argmax(Float32Array.from([1, 3, 3, 2]))).toBe(1);
    expect(argmax(Float32Array.from([5, 5, 5]))).toBe(0);
    expect(argmax(Float32Array.from([-4, -1, -2, -1]))).toBe(1);
    expect(argmax(Float32Array.from([0, 0, 7]))).toBe(2);
    expect(argmax(Float32Array.from([-Infinity, -3]))).toBe(1);
  });
});

describe("createSampler", () => {
  it("is greedy at temperature 0, whatever the seed and top-p", () => {
    const logits = Float32Array.from([0.5, 2, 2, -1]);
    expect(createSampler(GREEDY)(logits)).toBe(1);
    expect(createSampler({ temperature: 0, topP: 0, seed: 0 })(logits)).toBe(1);
    const sampler = createSampler({ temperature: 0, topP: 0.1, seed: 99 });
    for (let i = 0; i < 20; i++) expect(sampler(logits)).toBe(1);
  });

  it("draws the same tokens for the same seed and different ones for another", () => {
    const logits = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const draw = (seed: number) => {
      const sample = createSampler({ temperature: 1, topP: 1, seed });
      return Array.from({ length: 100 }, () => sample(logits));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(new Set(draw(7)).size).toBeGreaterThan(5);
  });

  it("draws from softmax(logits / temperature)", () => {
    const logits = logitsOf([0.5, 0.3, 0.2]);
    // 40 000 draws: the standard error of each frequency is below 0.0025; tolerance 0.01.
    const at1 = frequencies(createSampler({ temperature: 1, topP: 1, seed: 1 }), logits, 40_000);
    [0.5, 0.3, 0.2].forEach((p, i) => expect(Math.abs(at1[i]! - p)).toBeLessThan(0.01));
    // Temperature 0.5 squares the probabilities: 25 : 9 : 4.
    const at05 = frequencies(createSampler({ temperature: 0.5, topP: 1, seed: 2 }), logits, 40_000);
    [25 / 38, 9 / 38, 4 / 38].forEach((p, i) => expect(Math.abs(at05[i]! - p)).toBeLessThan(0.01));
  });

  it("keeps to the nucleus: the fewest most likely tokens whose mass reaches top-p", () => {
    // Token 2 is the most likely, then 0, then 3, then 1.
    const logits = logitsOf([0.3, 0.05, 0.5, 0.15]);
    const nucleus = (topP: number) => {
      const f = frequencies(createSampler({ temperature: 1, topP, seed: 3 }), logits, 20_000);
      return f.flatMap((x, i) => (x > 0 ? [i] : []));
    };
    expect(nucleus(0.4)).toEqual([2]);
    expect(nucleus(0.75)).toEqual([0, 2]);
    expect(nucleus(0.9)).toEqual([0, 2, 3]);
    expect(nucleus(1)).toEqual([0, 1, 2, 3]);
    // Inside the nucleus the probabilities are renormalised: 0.5 / 0.8 and 0.3 / 0.8 (tolerance 0.015).
    const f = frequencies(createSampler({ temperature: 1, topP: 0.75, seed: 4 }), logits, 20_000);
    expect(Math.abs(f[2]! - 0.625)).toBeLessThan(0.015);
    expect(Math.abs(f[0]! - 0.375)).toBeLessThan(0.015);
  });

  it("rejects a temperature or top-p it cannot sample with", () => {
    for (const options of [
      { temperature: -1, topP: 1, seed: 0 },
      { temperature: Number.NaN, topP: 1, seed: 0 },
      { temperature: Infinity, topP: 1, seed: 0 },
      { temperature: 1, topP: 0, seed: 0 },
      { temperature: 1, topP: 1.5, seed: 0 },
      { temperature: 1, topP: Number.NaN, seed: 0 },
    ]) {
      expect(() => createSampler(options), JSON.stringify(options)).toThrow(EngineError);
    }
  });
});

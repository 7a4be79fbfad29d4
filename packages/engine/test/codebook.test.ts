import { uniformStream } from "@pixellm/tensor";
import { describe, expect, it } from "vitest";
import { embeddedLength } from "@pixellm/pipeline";
import { codebookPositions } from "../src";

const SEG = new Set([40, 41, 42, 43, 44, 45]);

/** `evaluate` in model/PixelLM.py, literally: isin(ids[1:], SEG) prefixed with 255 zeros. */
function referenceMask(ids: readonly number[]): number[] {
  const mask = [...Array<boolean>(255).fill(false), ...ids.slice(1).map((id) => SEG.has(id))];
  return mask.flatMap((on, p) => (on ? [p] : []));
}

describe("codebookPositions", () => {
  it("picks position t + 254 for each SEG id at index t ≥ 1: the state that produced it", () => {
    // [BOS, -200, text, SEG0, text, SEG1]: SEG0 sits at embedded 3 + 255 = 258, its state at 257.
    expect(codebookPositions([1, -200, 5, 40, 6, 41], SEG, 256)).toEqual([257, 259]);
  });

  it("ignores index 0 and other ids, keeps order of appearance, and keeps the pre-image quirk", () => {
    expect(codebookPositions([40, -200, 5, 6], SEG, 256)).toEqual([]);
    expect(codebookPositions([1, -200, 45, 40, 43], SEG, 256)).toEqual([256, 257, 258]);
    // A SEG id before the image maps where the reference's mask puts it (onto an image token).
    expect(codebookPositions([1, 42, -200, 5], SEG, 256)).toEqual([255]);
  });

  it("matches the reference mask on random id sequences", () => {
    const uniform = uniformStream(12345);
    const rand = (n: number) => Math.floor(uniform() * n);
    for (let trial = 0; trial < 200; trial++) {
      const ids = Array.from({ length: 2 + rand(60) }, () => 30 + rand(20));
      ids[rand(ids.length)] = -200;
      expect(codebookPositions(ids, SEG, 256)).toEqual(referenceMask(ids));
    }
  });

  it("scales the shift with the number of image tokens", () => {
    expect(codebookPositions([1, -200, 40], SEG, 4)).toEqual([4]);
  });
});

describe("embeddedLength", () => {
  it("replaces the one placeholder id by the image tokens", () => {
    expect(embeddedLength(6, 256)).toBe(261);
    expect(embeddedLength(1, 256)).toBe(256);
    expect(embeddedLength(80, 4)).toBe(83);
  });
});

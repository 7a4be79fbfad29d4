import { float32Tensor } from "@pixellm/tensor";
import { describe, expect, it } from "vitest";
import { maskLogitsAtOriginal, postprocessMask, postprocessMasks } from "../src";
import { loadFloat32, loadManifest, maxAbsDiff, pattern } from "./support/fixtures";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe("postprocessMasks, hand-computed", () => {
  it("crops the padding [:h', :w'] before the final resize", () => {
    const logits = float32Tensor([1, 2, 2], [5, -5, 5, -5]);
    // resized 2x1: keep the left column (positive); resized 1x2: keep the top row
    const tall = postprocessMasks(logits, { resized: [2, 1], original: [2, 1] })[0]!;
    expect([...tall.mask]).toEqual([1, 1]);
    const wide = postprocessMasks(logits, { resized: [1, 2], original: [1, 2] })[0]!;
    expect([...wide.mask]).toEqual([1, 0]);
    expect(wide.area).toBe(1);
    expect(wide.score).toBeCloseTo(sigmoid(5) / (1 + 1e-6), 6); // tolerance 5e-7
  });

  it("scores the mean sigmoid of positive pixels, and 0 for an empty mask", () => {
    const logits = float32Tensor(
      [2, 1, 4, 4],
      [...new Array<number>(16).fill(2), ...new Array<number>(16).fill(-1)],
    );
    const [full, empty] = postprocessMasks(logits, { resized: [7, 5], original: [3, 2] });
    expect([...full!.mask]).toEqual([1, 1, 1, 1, 1, 1]);
    expect(full!.score).toBeCloseTo(0.880797, 6); // sigmoid(2) * 6 / (6 + 1e-6), tolerance 5e-7
    expect(empty!.area).toBe(0);
    expect(empty!.score).toBe(0);
  });

  it("rejects logits that are not square planes", () => {
    expect(() => postprocessMasks(float32Tensor([1, 2, 3]), { resized: [2, 2], original: [2, 2] })).toThrow(
      /must be \[N,S,S\]/,
    );
  });
});

describe("postprocess vs torch postprocess_masks fixtures", () => {
  const manifest = loadManifest();
  for (const c of manifest.postprocess) {
    const name = `${c.count} masks, resized ${c.resized.join("x")}, original ${c.original.join("x")}`;
    const logits = float32Tensor([c.count, 128, 128], pattern(c.count, 128, 128, c.seed));
    const geometry = { resized: c.resized, original: c.original };

    it(`logits at the original size: ${name}`, () => {
      // tolerance 1e-5 absolute on values in [-10, 10]
      expect(maxAbsDiff(maskLogitsAtOriginal(logits, geometry), loadFloat32(c.file))).toBeLessThanOrEqual(
        1e-5,
      );
    });

    it(`one mask at a time, in one reused buffer, as all at once: ${name}`, () => {
      const all = postprocessMasks(logits, geometry);
      const buffer = new Uint8Array(c.original[0] * c.original[1]).fill(7);
      all.forEach((expected, n) => {
        const one = postprocessMask(logits, n, geometry, buffer);
        expect(one.mask).toBe(buffer);
        expect(one.mask).toEqual(expected.mask);
        expect(one.area).toBe(expected.area);
        expect(one.score).toBe(expected.score);
      });
      expect(() => postprocessMask(logits, c.count, geometry)).toThrow(/outside the/);
      expect(() => postprocessMask(logits, 0, geometry, new Uint8Array(3))).toThrow(/needs/);
    });

    it(`binary masks, areas and scores: ${name}`, () => {
      const reference = loadFloat32(c.file);
      const results = postprocessMasks(logits, geometry);
      const plane = c.original[0] * c.original[1];
      let disagreements = 0;
      results.forEach((r, n) => {
        for (let i = 0; i < plane; i++) {
          const t = reference[n * plane + i]!;
          // only logits within the 1e-5 tolerance of 0 may flip
          if (r.mask[i] !== (t > 0 ? 1 : 0) && Math.abs(t) > 1e-5) disagreements++;
        }
        expect(r.area).toBe(c.positive[n]);
        expect(Math.abs(r.score - c.score[n]!)).toBeLessThanOrEqual(1e-6); // tolerance 1e-6 on a mean sigmoid
      });
      expect(disagreements).toBe(0);
    });
  }
});

import { describe, expect, it } from "vitest";
import { forEachInterpolatedRow, interpolateBilinear } from "../src";
import { loadFloat32, loadManifest, maxAbsDiff, pattern } from "./support/fixtures";

describe("interpolateBilinear, hand-computed", () => {
  it("up-samples 1x2 -> 1x4 with half-pixel centres clamped at 0", () => {
    // source x = 0.5 * (i + 0.5) - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (edge)
    expect([...interpolateBilinear(Float32Array.from([0, 4]), 1, 1, 2, 1, 4)]).toEqual([0, 1, 3, 4]);
  });

  it("down-samples 1x4 -> 1x2 without antialiasing (two taps only)", () => {
    expect([...interpolateBilinear(Float32Array.from([1, 2, 3, 5]), 1, 1, 4, 1, 2)]).toEqual([1.5, 4]);
  });

  it("interpolates both axes of each plane separately", () => {
    // 2x2 -> 4x4 centre pixel (1,1): source (0.25, 0.25) -> 0.75*0.75*a + ... ; planes stay apart
    const src = Float32Array.from([0, 4, 8, 12, 100, 100, 100, 100]);
    const out = interpolateBilinear(src, 2, 2, 2, 4, 4);
    expect(out[1 * 4 + 1]).toBe(0.75 * 0.75 * 0 + 0.75 * 0.25 * 4 + 0.25 * 0.75 * 8 + 0.25 * 0.25 * 12);
    expect([...out.subarray(16)].every((v) => v === 100)).toBe(true);
  });

  it("copies when the size does not change", () => {
    const src = Float32Array.from([1.5, -2, 3.25, 7]);
    expect([...interpolateBilinear(src, 1, 2, 2, 2, 2)]).toEqual([1.5, -2, 3.25, 7]);
  });

  it("streams rows of a strided crop", () => {
    // 3x4 buffer, crop the left 2 columns of the top 2 rows, resize to 2x2 (identity)
    const data = Float32Array.from([1, 2, 99, 99, 3, 4, 99, 99, 99, 99, 99, 99]);
    const rows: number[][] = [];
    forEachInterpolatedRow({ data, offset: 0, height: 2, width: 2, rowStride: 4 }, 2, 2, (_y, row) =>
      rows.push([...row]),
    );
    expect(rows).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});

describe("interpolateBilinear vs torch F.interpolate fixtures", () => {
  const manifest = loadManifest();
  for (const c of manifest.interpolate) {
    it(`${c.planes}x${c.in.join("x")} -> ${c.out.join("x")} (torch ${manifest.torch})`, () => {
      const src = pattern(c.planes, c.in[0], c.in[1], c.seed);
      const ours = interpolateBilinear(src, c.planes, c.in[0], c.in[1], c.out[0], c.out[1]);
      // tolerance 1e-5 absolute on values in [-10, 10] (float32 rounding order, FMA in torch)
      expect(maxAbsDiff(ours, loadFloat32(c.file))).toBeLessThanOrEqual(1e-5);
    });
  }
});

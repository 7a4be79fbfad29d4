/** Hand-computed cases for the numeric kernels. */
import { describe, expect, it } from "vitest";
import { kernels, patchMask, llmImageTokenMask, randomPositionEncoding, rebuildPositionTable } from "../src";

const {
  erf,
  geluInPlace,
  quickGeluInPlace,
  siluInPlace,
  softmaxInPlace,
  argmax,
  linear,
  matmul,
  conv2d,
  convTranspose2x2,
  layerNorm,
  layerNorm2d,
  rmsNorm,
  resizeBilinear,
  resizeNearest,
  nearestSourceIndex,
  rotaryTable,
  applyRotaryInPlace,
  attention,
} = kernels;

const f32 = (values: readonly number[]) => Float32Array.from(values);

/** Element-wise closeness with an explicit absolute tolerance. */
function expectAllClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(Math.abs(actual[i]! - e), `index ${i}`).toBeLessThanOrEqual(tolerance));
}

describe("erf and activations", () => {
  it("erf matches tabulated values to 1e-12", () => {
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [-1.5, -0.9661051464753108],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [4.5, 0.9999999998033839],
      [7, 1],
    ];
    for (const [x, expected] of table)
      expect(Math.abs(erf(x) - expected), `erf(${x})`).toBeLessThanOrEqual(1e-12);
  });

  it("GELU(erf), quick_gelu and SiLU at known points", () => {
    // GELU(x) = x·Φ(x): Φ(1) = 0.841344746068543, Φ(-1) = 0.158655253931457; tolerance 1e-7 (float32)
    expectAllClose(geluInPlace(f32([1, -1, 0])), [0.841344746068543, -0.158655253931457, 0], 1e-7);
    // x·sigmoid(1.702x) at 1: 1/(1+e^-1.702)
    expectAllClose(quickGeluInPlace(f32([1])), [1 / (1 + Math.exp(-1.702))], 1e-7);
    expectAllClose(siluInPlace(f32([2])), [2 / (1 + Math.exp(-2))], 1e-7);
  });

  it("softmax normalises and argmax keeps the first maximum", () => {
    const x = f32([0, Math.log(3)]);
    softmaxInPlace(x);
    expectAllClose(x, [0.25, 0.75], 1e-7);
    expect(argmax(f32([1, 3, 3, 2]))).toBe(1);
    expect(argmax(f32([5, 1, 7, 7]), 1, 3)).toBe(1); // offset window [1, 7, 7]
  });
});

describe("dense kernels", () => {
  it("linear is x @ Wᵀ + b", () => {
    const layer = { weight: f32([1, 0, 0, 1, 1, 1]), bias: f32([0.5, 0, -1]), inFeatures: 2, outFeatures: 3 };
    // rows [1,2] and [3,4] → [1.5, 2, 2] and [3.5, 4, 6]; three rows exercise the odd-row path
    expectAllClose(linear(layer, f32([1, 2, 3, 4, -1, 1]), 3), [1.5, 2, 2, 3.5, 4, 6, -0.5, 1, -1], 0);
  });

  it("matmul is a plain [m,k] @ [k,n] product", () => {
    // [[1,2],[3,4]] @ [[1,0,2],[0,1,3]]
    expectAllClose(matmul(f32([1, 2, 3, 4]), f32([1, 0, 2, 0, 1, 3]), 2, 2, 3), [1, 2, 8, 3, 4, 18], 0);
  });

  it("conv2d with padding and stride", () => {
    const conv = { weight: f32([1, 2, 3, 4]), bias: undefined, inChannels: 1, outChannels: 1, kernel: 2 };
    const x = f32([1, 2, 3, 4, 5, 6, 7, 8, 9]); // 3×3
    const valid = conv2d(conv, x, { height: 3, width: 3, stride: 1, padding: 0 });
    expectAllClose(valid.data, [37, 47, 67, 77], 0);
    const strided = conv2d(conv, x, { height: 3, width: 3, stride: 2, padding: 1 });
    // padded 5×5, windows at (0,0),(0,2),(2,0),(2,2): [4·1, 3·2+4·3, 2·4+4·7, 1·5+2·6+3·8+4·9]
    expect([strided.height, strided.width]).toEqual([2, 2]);
    expectAllClose(strided.data, [4, 18, 36, 77], 0);
  });

  it("conv-transpose 2×2 stride 2 scatters each pixel into a 2×2 block", () => {
    // in 2 channels × 1×1, out 1 channel: W[c, 0, a, b]
    const conv = {
      weight: f32([1, 2, 3, 4, 10, 20, 30, 40]),
      bias: f32([1]),
      inChannels: 2,
      outChannels: 1,
      kernel: 2,
    };
    const up = convTranspose2x2(conv, f32([2, 0.5]), 1, 1);
    expect([up.channels, up.height, up.width]).toEqual([1, 2, 2]);
    expectAllClose(up.data, [1 + 2 + 5, 1 + 4 + 10, 1 + 6 + 15, 1 + 8 + 20], 0);
  });
});

describe("normalisations", () => {
  it("LayerNorm uses the biased variance", () => {
    const norm = { weight: f32([1, 1, 1, 1]), bias: f32([0, 0, 0, 1]), eps: 0 };
    const s = 1 / Math.sqrt(1.25);
    expectAllClose(layerNorm(norm, f32([1, 2, 3, 4]), 1), [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s + 1], 1e-6);
  });

  it("LayerNorm2d normalises each pixel over channels", () => {
    // 2 channels × 2 pixels: pixel 0 = (1, 3), pixel 1 = (2, 2); eps 1e-6
    const norm = { weight: f32([2, 1]), bias: f32([0, 0.5]), eps: 1e-6 };
    const out = layerNorm2d(norm, f32([1, 2, 3, 2]), 2);
    const z = 1 / Math.sqrt(1 + 1e-6);
    expectAllClose(out, [-2 * z, 0, z + 0.5, 0.5], 1e-6);
  });

  it("RMSNorm as LLaMA computes it", () => {
    const r = Math.sqrt(12.5);
    expectAllClose(rmsNorm(f32([1, 2]), 0, f32([3, 4]), 1), [3 / r, 8 / r], 1e-6);
  });
});

describe("interpolation", () => {
  it("bilinear upsampling clamps at the borders (align_corners=False)", () => {
    expectAllClose(resizeBilinear(f32([1, 2]), 1, 1, 2, 1, 4), [1, 1.25, 1.75, 2], 1e-7);
  });

  it("bilinear halving is 2×2 averaging, and 3→2 uses half-pixel centres", () => {
    const x = f32([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expectAllClose(resizeBilinear(x, 1, 4, 4, 2, 2), [3.5, 5.5, 11.5, 13.5], 1e-6);
    // src = 1.5·(d+0.5) − 0.5: 0.25 and 1.75
    expectAllClose(resizeBilinear(f32([0, 3, 6]), 1, 1, 3, 1, 2), [0.75, 5.25], 1e-6);
  });

  it("nearest reads floor(dst·in/out)", () => {
    expect(nearestSourceIndex(5, 448, 32)).toBe(70);
    expect(nearestSourceIndex(7, 32, 16)).toBe(14);
    expect([0, 1, 2].map((d) => nearestSourceIndex(d, 5, 3))).toEqual([0, 1, 3]);
    // 2 → 4 duplicates (dst >> 1), 4 → 2 keeps the even samples
    expectAllClose(resizeNearest(f32([1, 2]), 1, 1, 2, 1, 4), [1, 1, 2, 2], 0);
    expectAllClose(resizeNearest(f32([1, 2, 3, 4]), 1, 1, 4, 1, 2), [1, 3], 0);
  });
});

describe("rotary embedding", () => {
  it("is the identity at position 0 and a rotation by t·inv_freq after", () => {
    const table = rotaryTable(4, 10000, 2);
    const x = f32([1, 2, 3, 4, 1, 0, 0, 1]); // position 0, then position 1
    applyRotaryInPlace(table, x, 2, 1);
    expectAllClose(x.subarray(0, 4), [1, 2, 3, 4], 0);
    // pairs (i, i+2): frequencies 1 and 1/100; (1, 0) → (cos 1, sin 1), (0, 1) → (−sin 0.01, cos 0.01)
    expectAllClose(x.subarray(4), [Math.cos(1), -Math.sin(0.01), Math.sin(1), Math.cos(0.01)], 1e-7);
  });
});

describe("attention", () => {
  it("gives a masked key zero weight", () => {
    // one query, keys with logits 0, 5 (masked), ln 2 → weights 1/3, 0, 2/3
    const out = attention(
      f32([1]),
      f32([0, 5, Math.log(2)]),
      f32([10, 100, 20]),
      { queries: 1, keys: 3, heads: 1, kvHeads: 1, headDim: 1 },
      { scoreDivisor: 1, keyMask: Uint8Array.from([1, 0, 1]) },
    );
    expectAllClose(out, [50 / 3], 1e-5);
  });

  it("is causal and shares KV heads across query groups", () => {
    // 2 query heads over 1 KV head, head size 1; query 0 only sees key 0
    const out = attention(
      f32([1, 1, 1, 1]),
      f32([0, 0]),
      f32([2, 4]),
      { queries: 2, keys: 2, heads: 2, kvHeads: 1, headDim: 1 },
      { scoreDivisor: 1, causal: true },
    );
    expectAllClose(out, [2, 2, 3, 3], 1e-6);
  });
});

describe("PixelLM-specific grids", () => {
  it("rebuilds the position table with the CLS row in the grid and the last patch row appended", () => {
    // old 2×2 grid + CLS: rows r0 (CLS), r1..r4 (patches), one channel holding the row number
    const table = rebuildPositionTable(f32([0, 1, 2, 3, 4]), 1, 2, 4);
    expect(table.length).toBe(17);
    expect(table[0]).toBe(0); // the top-left corner reads old row 0, the CLS row
    expect(table[15]).toBe(3); // bottom-right: old row 3; old row 4 (the last patch) is not in the grid
    expect(table[16]).toBe(4); // ...but appended as the last row
  });

  it("marks padded patches and LLM tokens from the resized size", () => {
    const patches = patchMask(448, 32, [448, 299]);
    expect(patches[21]).toBe(1); // 14·21 = 294 < 299
    expect(patches[22]).toBe(0);
    expect(patches[31 * 32]).toBe(1);
    const tokens = llmImageTokenMask(448, 32, [200, 448]);
    expect(tokens[7 * 16]).toBe(1); // 28·7 = 196 < 200
    expect(tokens[8 * 16]).toBe(0);
    expect(tokens.reduce((a, b) => a + b, 0)).toBe(8 * 16);
  });

  it("encodes random positions as [sin, cos] of 2π·(coords @ G)", () => {
    // G = [[0.25], [0]]: x = −0.5 and 0.5 on a 1×2 grid → angles ∓π/4
    const pe = randomPositionEncoding(f32([0.25, 0]), 1, 2);
    const s = Math.SQRT1_2;
    expectAllClose(pe, [-s, s, s, s], 1e-6);
  });
});

import { describe, expect, it } from "vitest";
import {
  bfloat16ToFloat32,
  convertFloatBytes,
  decodeNpy,
  encodeNpy,
  float16ToFloat32,
  float32Tensor,
  float32ToBfloat16,
  float32ToFloat16,
  int64Tensor,
  makeTensor,
  viewAs,
} from "../src";

describe("float16", () => {
  it("encodes reference bit patterns", () => {
    expect(float32ToFloat16(1)).toBe(0x3c00);
    expect(float32ToFloat16(-2)).toBe(0xc000);
    expect(float32ToFloat16(65504)).toBe(0x7bff);
    expect(float32ToFloat16(65520)).toBe(0x7c00); // rounds up to Inf
    expect(float32ToFloat16(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float32ToFloat16(2 ** -25)).toBe(0x0000); // tie rounds to even (zero)
    expect(float32ToFloat16(3 * 2 ** -25)).toBe(0x0002); // tie rounds to even (two)
    expect(float32ToFloat16(1 + 2 ** -11)).toBe(0x3c00); // tie to even
    expect(float32ToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Number.isNaN(float16ToFloat32(float32ToFloat16(NaN)))).toBe(true);
  });

  it("round-trips every finite half value exactly", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exponent = (bits >>> 10) & 0x1f;
      if (exponent === 0x1f) continue;
      const back = float32ToFloat16(float16ToFloat32(bits));
      // -0 and +0 keep their sign bit
      expect(back).toBe(bits);
    }
  });
});

describe("bfloat16", () => {
  it("truncates with round-to-nearest-even like torch", () => {
    expect(float32ToBfloat16(1)).toBe(0x3f80);
    expect(bfloat16ToFloat32(0x3f80)).toBe(1);
    // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties to even (1.0)
    expect(float32ToBfloat16(1 + 2 ** -8)).toBe(0x3f80);
    expect(float32ToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(bfloat16ToFloat32(float32ToBfloat16(NaN)))).toBe(true);
  });

  it("converts whole buffers between float dtypes", () => {
    const src = Float32Array.from([1, -2.5, 0.333333]);
    const bf = convertFloatBytes(new Uint8Array(src.buffer), "float32", "bfloat16");
    const back = viewAs("float32", convertFloatBytes(bf, "bfloat16", "float32"));
    expect([...back]).toEqual([1, -2.5, bfloat16ToFloat32(float32ToBfloat16(0.333333))]);
  });
});

describe("tensor", () => {
  it("refuses data whose length does not match the shape", () => {
    expect(() => float32Tensor([2, 3], [1, 2, 3])).toThrow(/needs 6 elements, got 3/);
    expect(() => makeTensor("int32", [2, -1], new Int32Array(0))).toThrow(/invalid dimension -1/);
  });
});

describe("npy", () => {
  it("round-trips float32 and int64 tensors with 64-byte aligned headers", () => {
    const t = float32Tensor([2, 3], [1, 2, 3, 4, 5, 6]);
    const bytes = encodeNpy(t);
    const headerEnd = bytes.indexOf(0x0a) + 1;
    expect(headerEnd % 64).toBe(0);
    expect(decodeNpy(bytes)).toEqual(t);
    const ids = int64Tensor([4], [1, -200, 32000, 2]);
    expect(decodeNpy(encodeNpy(ids))).toEqual(ids);
  });

  it("writes 1-D shapes with numpy's trailing comma", () => {
    const text = new TextDecoder().decode(encodeNpy(float32Tensor([3], [1, 2, 3])).subarray(0, 64));
    expect(text).toContain("'shape': (3,)");
  });
});

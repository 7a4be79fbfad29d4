import { describe, expect, it } from "vitest";
import { crc32c } from "../src";

/** Bytewise reference of the same polynomial (the definition the fast version must match). */
function reference(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0x82f63b78 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe("crc32c", () => {
  it("matches the published check value and RFC 3720 vectors", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  it("matches the bytewise definition at every length and alignment", () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 131 + 7) & 0xff);
    for (const [start, end] of [
      [0, 0],
      [0, 1],
      [3, 11],
      [1, 999],
      [5, 1000],
      [0, 1000],
    ] as const) {
      const slice = data.subarray(start, end);
      expect(crc32c(slice)).toBe(reference(slice));
    }
  });
});

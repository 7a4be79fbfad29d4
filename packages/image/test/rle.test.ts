import { uniformStream } from "@pixellm/tensor";
import { describe, expect, it } from "vitest";
import {
  cocoRleToRle,
  decodeRle,
  encodeCocoRle,
  encodeRle,
  rleArea,
  rleCountsFromString,
  rleCountsToString,
  rleToBbox,
} from "../src";

// 3 x 4, row-major:
//   0 1 1 0
//   0 1 0 0
//   1 1 0 1
// column-major: 0 0 1 | 1 1 1 | 1 0 0 | 0 0 1 -> runs 2 zeros, 5 ones, 4 zeros, 1 one
const MASK_3X4 = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 1]);

// 4 x 5 with a 2 x 2 block at rows 1-2, columns 2-3 -> runs 9, 2, 2, 2, 5
const MASK_4X5 = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);

function bruteBbox(mask: Uint8Array, h: number, w: number): [number, number, number, number] {
  let xs = w;
  let ys = h;
  let xe = -1;
  let ye = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      xs = Math.min(xs, x);
      ys = Math.min(ys, y);
      xe = Math.max(xe, x);
      ye = Math.max(ye, y);
    }
  }
  return xe < 0 ? [0, 0, 0, 0] : [xs, ys, xe - xs + 1, ye - ys + 1];
}

describe("COCO RLE, hand-derived", () => {
  it("encodes a 3x4 mask column-major, starting with the zero run", () => {
    const rle = encodeRle(MASK_3X4, 3, 4);
    expect(rle).toEqual({ size: [3, 4], counts: [2, 5, 4, 1] });
    expect(rleArea(rle)).toBe(6);
    expect(rleToBbox(rle)).toEqual([0, 0, 4, 3]);
    // "2","5","4", then 1 - 5 = -4 -> 5-bit group 28 with the sign bit, no continuation -> 'L'
    expect(encodeCocoRle(MASK_3X4, 3, 4)).toEqual({ size: [3, 4], counts: "254L" });
    expect([...decodeRle(rle)]).toEqual([...MASK_3X4]);
  });

  it("encodes an interior block and finds its bbox", () => {
    const rle = encodeRle(MASK_4X5, 4, 5);
    expect(rle.counts).toEqual([9, 2, 2, 2, 5]);
    expect(rleArea(rle)).toBe(4);
    expect(rleToBbox(rle)).toEqual([2, 1, 2, 2]);
    expect(rleCountsToString(rle.counts)).toBe("92203"); // 2-2 = 0 and 5-2 = 3 from the 4th count on
  });

  it("starts with an empty zero run when the first pixel is set, and uses continuation groups", () => {
    const mask = new Uint8Array(108).fill(1);
    mask.fill(0, 100, 105);
    const rle = encodeRle(mask, 1, 108);
    expect(rle.counts).toEqual([0, 100, 5, 3]);
    // 100 = 4 | 3 << 5 -> 'T' (4 + 32 + 48), '3'; 3 - 100 = -97 -> 31 with continuation 'o', -4 -> 28 'L'
    expect(rleCountsToString(rle.counts)).toBe("0T35oL");
    expect(rleCountsFromString("0T35oL")).toEqual([0, 100, 5, 3]);
  });

  it("gives an all-zero bbox and zero area for an empty mask", () => {
    const rle = encodeRle(new Uint8Array(12), 3, 4);
    expect(rle.counts).toEqual([12]);
    expect(rleToBbox(rle)).toEqual([0, 0, 0, 0]);
    expect(rleArea(rle)).toBe(0);
    expect(encodeCocoRle(new Uint8Array(12), 3, 4).counts).toBe("<");
  });

  it("treats any non-zero byte as foreground", () => {
    expect(encodeRle(Uint8Array.from([0, 255, 7, 0]), 2, 2).counts).toEqual([1, 2, 1]);
  });

  it("rejects strings and counts that do not fit the size", () => {
    expect(() => cocoRleToRle({ size: [3, 4], counts: "254" })).toThrow(/sum to 11/);
    expect(() => rleCountsFromString("2T")).toThrow(/ends inside a count/);
    expect(() => rleCountsFromString("2~")).toThrow(/outside/);
    expect(() => encodeRle(new Uint8Array(5), 2, 3)).toThrow(/needs 6 bytes/);
  });
});

describe("COCO RLE round trips", () => {
  it("decodes what it encodes, with matching area and bbox, on 300 random masks", () => {
    const random = uniformStream(5);
    for (let n = 0; n < 300; n++) {
      const h = 1 + Math.floor(random() * 40);
      const w = 1 + Math.floor(random() * 40);
      const density = random();
      const mask = new Uint8Array(h * w);
      // blobs of runs so that counts are of mixed sizes
      let v = random() < density ? 1 : 0;
      for (let i = 0; i < mask.length; i++) {
        if (random() < 0.15) v = random() < density ? 1 : 0;
        mask[i] = v;
      }
      const coco = encodeCocoRle(mask, h, w);
      const rle = cocoRleToRle(coco);
      expect(rle.counts).toEqual(encodeRle(mask, h, w).counts);
      expect(decodeRle(rle)).toEqual(mask);
      expect(rleArea(rle)).toBe(mask.reduce((a, b) => a + b, 0));
      expect(rleToBbox(rle)).toEqual(bruteBbox(mask, h, w));
    }
  });

  it("round-trips counts far beyond one 5-bit group, including large negative deltas", () => {
    const counts = [0, 40_000_000, 1, 3, 123_456, 7, 31, 32, 33, 16, 15, 1_000_000];
    expect(rleCountsFromString(rleCountsToString(counts))).toEqual(counts);
  });

  it("round-trips a string longer than one chunk of characters (tens of thousands of counts)", () => {
    const counts = Array.from({ length: 30_000 }, (_, i) => 1 + ((i * 7919) % 5000));
    const encoded = rleCountsToString(counts);
    expect(encoded.length).toBeGreaterThan(3 * 8192);
    expect(rleCountsFromString(encoded)).toEqual(counts);
  });
});

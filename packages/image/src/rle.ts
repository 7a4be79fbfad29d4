/**
 * COCO run-length encoding, compatible with pycocotools (common/maskApi.c): runs over the mask in
 * column-major order, alternating zeros and ones and starting with a (possibly empty) run of zeros.
 */

/** Uncompressed RLE: `size` is [height, width], `counts` the run lengths. */
export interface Rle {
  readonly size: readonly [number, number];
  readonly counts: readonly number[];
}

/** The COCO JSON form (`{"size": [h, w], "counts": "..."}`), counts compressed as `rleToString`. */
export interface CocoRle {
  readonly size: [number, number];
  readonly counts: string;
}

function checkSize(height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0) {
    throw new RangeError(`RLE size must be non-negative integers, got ${height}x${width}`);
  }
}

/**
 * Encodes a binary mask (any non-zero byte is foreground).
 * in: uint8[H,W] row-major -> counts over the column-major order
 */
export function encodeRle(mask: Uint8Array, height: number, width: number): Rle {
  checkSize(height, width);
  if (mask.length !== height * width) {
    throw new RangeError(`mask of ${height}x${width} needs ${height * width} bytes, got ${mask.length}`);
  }
  const counts: number[] = [];
  let previous = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = mask[y * width + x] !== 0 ? 1 : 0;
      if (v !== previous) {
        counts.push(run);
        run = 0;
        previous = v;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

function checkCounts(rle: Rle): void {
  const [height, width] = rle.size;
  checkSize(height, width);
  let total = 0;
  for (const c of rle.counts) {
    if (!Number.isInteger(c) || c < 0)
      throw new RangeError(`RLE counts must be non-negative integers, got ${c}`);
    total += c;
  }
  if (total !== height * width) {
    throw new RangeError(
      `RLE counts sum to ${total}, but a ${height}x${width} mask has ${height * width} pixels`,
    );
  }
}

/** in: RLE -> out: uint8[H,W] row-major, 0/1 */
export function decodeRle(rle: Rle): Uint8Array {
  checkCounts(rle);
  const [height, width] = rle.size;
  const mask = new Uint8Array(height * width);
  let index = 0;
  let value = 0;
  for (const c of rle.counts) {
    if (value === 1) {
      for (let k = index; k < index + c; k++) {
        const x = Math.floor(k / height);
        mask[(k - x * height) * width + x] = 1;
      }
    }
    index += c;
    value ^= 1;
  }
  return mask;
}

/** Foreground pixel count (`rleArea`): the sum of the odd-indexed runs. */
export function rleArea(rle: Rle): number {
  let area = 0;
  for (let j = 1; j < rle.counts.length; j += 2) area += rle.counts[j]!;
  return area;
}

/**
 * `[x, y, w, h]` as maskApi.c `rleToBbox` computes it (all zeros for an empty mask; a run that
 * wraps a column spans the full height).
 */
export function rleToBbox(rle: Rle): [number, number, number, number] {
  const [h, w] = rle.size;
  const m = Math.floor(rle.counts.length / 2) * 2;
  if (m === 0 || h === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc += rle.counts[j]!;
    const t = cc - (j % 2);
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      ys = 0;
      ye = h - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

/**
 * `rleToString`: each count (minus the count two places back, from the fourth on) in 5-bit groups,
 * least significant first, bit 0x20 = more groups follow, sign taken from bit 0x10, plus 48.
 */
export function rleCountsToString(counts: readonly number[]): string {
  // Codes are collected and joined in chunks: a string grown one character at a time is a rope of
  // one node per character (tens of bytes each), kept for as long as the result lives.
  const codes: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x = Math.floor(x / 32); // arithmetic shift, safe beyond 32 bits
      more = (c & 0x10) !== 0 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      codes.push(c + 48);
    }
  }
  let s = "";
  for (let i = 0; i < codes.length; i += STRING_CHUNK)
    s += String.fromCharCode(...codes.slice(i, i + STRING_CHUNK));
  return s;
}

/** Characters made by one String.fromCharCode call (its arguments go on the stack). */
const STRING_CHUNK = 8192;

/** `rleFrString`: the inverse of rleCountsToString. */
export function rleCountsFromString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new RangeError(`RLE string ends inside a count: "${s}"`);
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63)
        throw new RangeError(`RLE string has a character outside '0'..'o' at ${p}: "${s}"`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && (c & 0x10) !== 0) x -= 2 ** (5 * k); // sign-extend
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

/** in: uint8[H,W] row-major -> COCO JSON RLE */
export function encodeCocoRle(mask: Uint8Array, height: number, width: number): CocoRle {
  const rle = encodeRle(mask, height, width);
  return { size: [height, width], counts: rleCountsToString(rle.counts) };
}

/** COCO JSON RLE -> uncompressed RLE (validated against its size). */
export function cocoRleToRle(coco: CocoRle): Rle {
  const rle: Rle = { size: [coco.size[0], coco.size[1]], counts: rleCountsFromString(coco.counts) };
  checkCounts(rle);
  return rle;
}

/**
 * PIL 9.4 `Image.resize(size, Image.BILINEAR)` on an 8-bit RGB image, reimplemented so the uint8
 * output is bit-identical (libImaging/Resample.c): antialiased triangle filter whose support grows
 * with the downscale factor, coefficients normalised in float64 then quantised to 22-bit fixed
 * point, a horizontal pass then a vertical pass, each rounding and clipping to uint8.
 */

const CHANNELS = 3;
/** PIL: 32 bits - 8 for the result - 2 for overflow of filters with negative lobes. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Fixed-point taps for one axis: output i reads `count[i]` inputs from `first[i]`, weights at i*taps. */
interface AxisCoefficients {
  readonly taps: number;
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly weights: Int32Array;
}

function triangle(x: number): number {
  const a = x < 0 ? -x : x;
  return a < 1 ? 1 - a : 0;
}

/** The default box `(0, 0, inSize)`: PIL stores it as float32, exact for any integer size here. */
function axisCoefficients(inSize: number, outSize: number): AxisCoefficients {
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = 1.0 * filterScale; // bilinear support is 1
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const row = new Float64Array(taps);
  const inverse = 1.0 / filterScale;
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    // C truncates toward zero; negatives clamp to 0 either way
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    const n = hi - lo;
    let total = 0.0;
    for (let x = 0; x < n; x++) {
      const w = triangle((x + lo - center + 0.5) * inverse);
      row[x] = w;
      total += w;
    }
    for (let x = 0; x < n; x++) {
      const w = total !== 0.0 ? row[x]! / total : row[x]!;
      // normalize_coeffs_8bpc: round half away from zero, then C truncation
      weights[i * taps + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[i] = lo;
    count[i] = n;
  }
  return { taps, first, count, weights };
}

/** clip8: arithmetic shift out the fraction, clamp to [0, 255]. Sums stay inside int32 for bilinear. */
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Horizontal pass over source rows [rowStart, rowStart + rows): out is outW x rows. */
function resampleHorizontal(
  src: Uint8Array,
  srcW: number,
  rowStart: number,
  rows: number,
  outW: number,
  k: AxisCoefficients,
): Uint8Array {
  const out = new Uint8Array(outW * rows * CHANNELS);
  for (let y = 0; y < rows; y++) {
    const srcRow = (y + rowStart) * srcW * CHANNELS;
    const outRow = y * outW * CHANNELS;
    for (let x = 0; x < outW; x++) {
      const base = srcRow + k.first[x]! * CHANNELS;
      const kBase = x * k.taps;
      const n = k.count[x]!;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let t = 0; t < n; t++) {
        const w = k.weights[kBase + t]!;
        const p = base + t * CHANNELS;
        r += src[p]! * w;
        g += src[p + 1]! * w;
        b += src[p + 2]! * w;
      }
      const o = outRow + x * CHANNELS;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return out;
}

/** Vertical pass; `rowOffset` is the first source row held in `src` (PIL's shifted bounds). */
function resampleVertical(
  src: Uint8Array,
  width: number,
  rowOffset: number,
  outH: number,
  k: AxisCoefficients,
): Uint8Array {
  const stride = width * CHANNELS;
  const out = new Uint8Array(outH * stride);
  for (let y = 0; y < outH; y++) {
    const top = (k.first[y]! - rowOffset) * stride;
    const kBase = y * k.taps;
    const n = k.count[y]!;
    for (let i = 0; i < stride; i++) {
      let s = HALF;
      for (let t = 0; t < n; t++) s += src[top + t * stride + i]! * k.weights[kBase + t]!;
      out[y * stride + i] = clip8(s);
    }
  }
  return out;
}

/**
 * Resizes interleaved RGB8 `w x h` to `outW x outH` exactly like PIL 9.4 BILINEAR.
 * in: rgb uint8[h,w,3] -> out: uint8[outH,outW,3]
 */
export function resizeBilinearPil(
  rgb: Uint8Array,
  w: number,
  h: number,
  outW: number,
  outH: number,
): Uint8Array {
  for (const [name, v] of [
    ["w", w],
    ["h", h],
    ["outW", outW],
    ["outH", outH],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new RangeError(`resizeBilinearPil: ${name} must be >= 1, got ${v}`);
  }
  if (rgb.length !== w * h * CHANNELS) {
    throw new RangeError(
      `resizeBilinearPil: ${w}x${h} RGB needs ${w * h * CHANNELS} bytes, got ${rgb.length}`,
    );
  }
  const needHorizontal = outW !== w;
  const needVertical = outH !== h;
  if (!needHorizontal && !needVertical) return rgb.slice();

  const vertical = axisCoefficients(h, outH);
  // Only the source rows the vertical pass reads go through the horizontal pass, as in PIL.
  const rowFirst = vertical.first[0]!;
  const rowLast = vertical.first[outH - 1]! + vertical.count[outH - 1]!;

  let current = rgb;
  let rowOffset = 0;
  if (needHorizontal) {
    current = resampleHorizontal(rgb, w, rowFirst, rowLast - rowFirst, outW, axisCoefficients(w, outW));
    rowOffset = rowFirst;
  }
  if (needVertical) current = resampleVertical(current, outW, rowOffset, outH, vertical);
  return current;
}

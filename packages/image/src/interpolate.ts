/**
 * torch `F.interpolate(mode="bilinear", align_corners=False)` on float32 planes (CPU kernel of
 * torch 1.13, no antialias): float32 scale `in / out`, source index `scale * (i + 0.5) - 0.5` in
 * float64 clamped at 0, float32 lambdas, width interpolated first and then height, every product
 * and sum rounded to float32.
 */

/** A float32 plane inside a buffer: `height` rows of `width` values, `rowStride` apart from `offset`. */
export interface PlaneView {
  readonly data: Float32Array;
  readonly offset: number;
  readonly height: number;
  readonly width: number;
  readonly rowStride: number;
}

interface LinearAxis {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w0: Float32Array;
  readonly w1: Float32Array;
}

function linearAxis(inSize: number, outSize: number): LinearAxis {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float32Array(outSize);
  const w1 = new Float32Array(outSize);
  if (inSize === outSize) {
    // torch copies when the size does not change
    for (let i = 0; i < outSize; i++) {
      i0[i] = i;
      i1[i] = i;
      w0[i] = 1;
    }
    return { i0, i1, w0, w1 };
  }
  const scale = Math.fround(inSize / outSize);
  for (let i = 0; i < outSize; i++) {
    const real = Math.max(0, scale * (i + 0.5) - 0.5);
    const lo = Math.trunc(real);
    i0[i] = lo;
    i1[i] = lo < inSize - 1 ? lo + 1 : lo;
    w1[i] = real - lo;
    w0[i] = 1 - w1[i]!;
  }
  return { i0, i1, w0, w1 };
}

export function planeOf(data: Float32Array, height: number, width: number, index = 0): PlaneView {
  if (data.length < (index + 1) * height * width) {
    throw new RangeError(`plane ${index} of ${height}x${width} is outside a buffer of ${data.length} values`);
  }
  return { data, offset: index * height * width, height, width, rowStride: width };
}

/**
 * Streams the interpolated plane one output row at a time (the row buffer is reused), so that a
 * full-resolution float32 copy of a 40 MP mask never has to exist.
 */
export function forEachInterpolatedRow(
  src: PlaneView,
  outH: number,
  outW: number,
  visit: (y: number, row: Float32Array) => void,
): void {
  if (src.height < 1 || src.width < 1 || outH < 1 || outW < 1) {
    throw new RangeError(`cannot interpolate ${src.height}x${src.width} to ${outH}x${outW}`);
  }
  const ax = linearAxis(src.width, outW);
  const ay = linearAxis(src.height, outH);
  const row = new Float32Array(outW);
  // Horizontally interpolated source rows, cached: consecutive output rows mostly share them.
  const cache = [new Float32Array(outW), new Float32Array(outW)];
  const cachedRow = [-1, -1];
  // `keep` is the other row the current output row needs: its slot must not be overwritten.
  const horizontal = (srcRow: number, keep: number): Float32Array => {
    const hit = cachedRow.indexOf(srcRow);
    if (hit >= 0) return cache[hit]!;
    const slot = cachedRow[0] === keep ? 1 : 0;
    const out = cache[slot]!;
    const base = src.offset + srcRow * src.rowStride;
    const d = src.data;
    for (let x = 0; x < outW; x++) {
      out[x] = Math.fround(d[base + ax.i0[x]!]! * ax.w0[x]!) + Math.fround(d[base + ax.i1[x]!]! * ax.w1[x]!);
    }
    cachedRow[slot] = srcRow;
    return out;
  };
  for (let y = 0; y < outH; y++) {
    const h0 = ay.w0[y]!;
    const h1 = ay.w1[y]!;
    const top = horizontal(ay.i0[y]!, ay.i1[y]!);
    const bottom = horizontal(ay.i1[y]!, ay.i0[y]!);
    for (let x = 0; x < outW; x++) row[x] = Math.fround(top[x]! * h0) + Math.fround(bottom[x]! * h1);
    visit(y, row);
  }
}

/**
 * Bilinear resize of `planes` stacked float32 planes.
 * in: float32[planes,inH,inW] -> out: float32[planes,outH,outW]
 */
export function interpolateBilinear(
  src: Float32Array,
  planes: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
): Float32Array {
  if (src.length !== planes * inH * inW) {
    throw new RangeError(
      `interpolateBilinear: [${planes},${inH},${inW}] needs ${planes * inH * inW} values, got ${src.length}`,
    );
  }
  const out = new Float32Array(planes * outH * outW);
  for (let p = 0; p < planes; p++) {
    forEachInterpolatedRow(planeOf(src, inH, inW, p), outH, outW, (y, row) => {
      out.set(row, (p * outH + y) * outW);
    });
  }
  return out;
}

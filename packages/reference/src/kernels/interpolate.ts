/**
 * torch.nn.functional.interpolate on [C, H, W] float32, with PyTorch's CPU index arithmetic
 * (done in float32, which Math.fround reproduces).
 */

interface LinearTaps {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w0: Float32Array;
  readonly w1: Float32Array;
}

/** align_corners=False: src = scale·(dst+0.5) − 0.5 clamped at 0, scale = in/out in float32. */
function linearTaps(inSize: number, outSize: number): LinearTaps {
  const scale = Math.fround(inSize / outSize);
  const taps: LinearTaps = {
    i0: new Int32Array(outSize),
    i1: new Int32Array(outSize),
    w0: new Float32Array(outSize),
    w1: new Float32Array(outSize),
  };
  for (let d = 0; d < outSize; d++) {
    let src = Math.fround(Math.fround(scale * Math.fround(d + 0.5)) - 0.5);
    if (src < 0) src = 0;
    const i0 = Math.floor(src);
    const lambda1 = Math.min(Math.max(Math.fround(src - i0), 0), 1);
    taps.i0[d] = i0;
    taps.i1[d] = i0 < inSize - 1 ? i0 + 1 : i0;
    taps.w1[d] = lambda1;
    taps.w0[d] = Math.fround(1 - lambda1);
  }
  return taps;
}

/** F.interpolate(mode="bilinear", align_corners=False) of x [C, inH, inW] → [C, outH, outW]. */
export function resizeBilinear(
  x: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
): Float32Array {
  if (x.length !== channels * inH * inW) {
    throw new RangeError(`resizeBilinear: ${x.length} values, expected ${channels}×${inH}×${inW}`);
  }
  const ys = linearTaps(inH, outH);
  const xs = linearTaps(inW, outW);
  const out = new Float32Array(channels * outH * outW);
  for (let c = 0; c < channels; c++) {
    const base = c * inH * inW;
    for (let oy = 0; oy < outH; oy++) {
      const r0 = base + ys.i0[oy]! * inW;
      const r1 = base + ys.i1[oy]! * inW;
      const h0 = ys.w0[oy]!;
      const h1 = ys.w1[oy]!;
      const o = (c * outH + oy) * outW;
      for (let ox = 0; ox < outW; ox++) {
        const a = xs.i0[ox]!;
        const b = xs.i1[ox]!;
        const w0 = xs.w0[ox]!;
        const w1 = xs.w1[ox]!;
        out[o + ox] = h0 * (w0 * x[r0 + a]! + w1 * x[r0 + b]!) + h1 * (w0 * x[r1 + a]! + w1 * x[r1 + b]!);
      }
    }
  }
  return out;
}

/** The source index F.interpolate(mode="nearest") reads for output index `dst`. */
export function nearestSourceIndex(dst: number, inSize: number, outSize: number): number {
  if (outSize === inSize) return dst;
  if (outSize === 2 * inSize) return dst >> 1;
  const scale = Math.fround(inSize / outSize);
  return Math.min(Math.floor(Math.fround(dst * scale)), inSize - 1);
}

/** F.interpolate(mode="nearest") of x [C, inH, inW] → [C, outH, outW]. */
export function resizeNearest(
  x: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
): Float32Array {
  if (x.length !== channels * inH * inW) {
    throw new RangeError(`resizeNearest: ${x.length} values, expected ${channels}×${inH}×${inW}`);
  }
  const out = new Float32Array(channels * outH * outW);
  for (let c = 0; c < channels; c++) {
    for (let oy = 0; oy < outH; oy++) {
      const sy = nearestSourceIndex(oy, inH, outH);
      for (let ox = 0; ox < outW; ox++) {
        out[(c * outH + oy) * outW + ox] = x[(c * inH + sy) * inW + nearestSourceIndex(ox, inW, outW)]!;
      }
    }
  }
  return out;
}

/** Normalisations. Statistics are computed in float64, two-pass. */

export interface AffineNorm {
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly eps: number;
}

/** nn.LayerNorm over the last dim of x [rows, n] (biased variance). */
export function layerNorm(norm: AffineNorm, x: Float32Array, rows: number): Float32Array {
  const n = norm.weight.length;
  if (x.length !== rows * n) throw new RangeError(`layerNorm: ${x.length} values, expected ${rows}×${n}`);
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[o + i]!;
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) {
      const d = x[o + i]! - mean;
      variance += d * d;
    }
    const inv = 1 / Math.sqrt(variance / n + norm.eps);
    for (let i = 0; i < n; i++) out[o + i] = (x[o + i]! - mean) * inv * norm.weight[i]! + norm.bias[i]!;
  }
  return out;
}

/**
 * SAM's LayerNorm2d (`common.py`) over the channels of each pixel of x [C, H·W]:
 * u = mean_c x, s = mean_c (x−u)², (x−u)/sqrt(s+eps), then per-channel weight and bias.
 */
export function layerNorm2d(norm: AffineNorm, x: Float32Array, pixels: number): Float32Array {
  const c = norm.weight.length;
  if (x.length !== c * pixels)
    throw new RangeError(`layerNorm2d: ${x.length} values, expected ${c}×${pixels}`);
  const mean = new Float64Array(pixels);
  const variance = new Float64Array(pixels);
  for (let ch = 0; ch < c; ch++) {
    const o = ch * pixels;
    for (let p = 0; p < pixels; p++) mean[p] = mean[p]! + x[o + p]!;
  }
  for (let p = 0; p < pixels; p++) mean[p] = mean[p]! / c;
  for (let ch = 0; ch < c; ch++) {
    const o = ch * pixels;
    for (let p = 0; p < pixels; p++) {
      const d = x[o + p]! - mean[p]!;
      variance[p] = variance[p]! + d * d;
    }
  }
  const inv = new Float64Array(pixels);
  for (let p = 0; p < pixels; p++) inv[p] = 1 / Math.sqrt(variance[p]! / c + norm.eps);
  const out = new Float32Array(x.length);
  for (let ch = 0; ch < c; ch++) {
    const o = ch * pixels;
    const w = norm.weight[ch]!;
    const b = norm.bias[ch]!;
    for (let p = 0; p < pixels; p++) out[o + p] = w * ((x[o + p]! - mean[p]!) * inv[p]!) + b;
  }
  return out;
}

/**
 * LlamaRMSNorm (transformers 4.31): h · rsqrt(mean(h²) + eps) is rounded to the input dtype
 * (float32 here) before the weight multiplies it.
 */
export function rmsNorm(weight: Float32Array, eps: number, x: Float32Array, rows: number): Float32Array {
  const n = weight.length;
  if (x.length !== rows * n) throw new RangeError(`rmsNorm: ${x.length} values, expected ${rows}×${n}`);
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let sumSq = 0;
    for (let i = 0; i < n; i++) sumSq += x[o + i]! * x[o + i]!;
    const inv = 1 / Math.sqrt(sumSq / n + eps);
    for (let i = 0; i < n; i++) out[o + i] = weight[i]! * Math.fround(x[o + i]! * inv);
  }
  return out;
}

/**
 * Scaled dot-product attention over projected heads, the O(T²) hot spot (CLIP runs it at 1025
 * tokens × 24 layers), so it loops over per-head contiguous copies of K and V.
 *
 * A masked key gets probability exactly 0. The official models add finfo(float32).min to its
 * logit instead; exp(min − max) underflows to 0 in float32, so both give the same weights as
 * long as one key per query stays visible (CLS in CLIP, the first token in the LLM).
 */

import { softmaxInPlace } from "./activations";

export interface AttentionShape {
  readonly queries: number;
  readonly keys: number;
  readonly heads: number;
  /** Grouped-query attention: query head h reads key/value head ⌊h / (heads/kvHeads)⌋. */
  readonly kvHeads: number;
  readonly headDim: number;
}

export interface AttentionMasking {
  /** Logits are divided by this (LLaMA and SAM divide by √headDim; CLIP pre-scales q, so 1). */
  readonly scoreDivisor: number;
  /** Query i sees keys 0..i only. */
  readonly causal?: boolean;
  /** 1 = the key may be attended, 0 = padded; length `keys`. */
  readonly keyMask?: Uint8Array;
}

/** Head `h` of x [rows, heads·d], transposed to [d, rows] so the key loops run long and unit-stride. */
function headTransposed(x: Float32Array, rows: number, heads: number, d: number, h: number): Float32Array {
  const out = new Float32Array(rows * d);
  const width = heads * d;
  for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) out[c * rows + r] = x[r * width + h * d + c]!;
  return out;
}

/** scores[j] = Σ_c q[qo+c]·kt[c][j] for j < n, four channels per pass. */
function dotScores(
  q: Float32Array,
  qo: number,
  kt: Float32Array,
  d: number,
  keys: number,
  n: number,
  scores: Float64Array,
): void {
  scores.fill(0, 0, n);
  let c = 0;
  for (; c + 4 <= d; c += 4) {
    const q0 = q[qo + c]!;
    const q1 = q[qo + c + 1]!;
    const q2 = q[qo + c + 2]!;
    const q3 = q[qo + c + 3]!;
    const o0 = c * keys;
    const o1 = o0 + keys;
    const o2 = o1 + keys;
    const o3 = o2 + keys;
    for (let j = 0; j < n; j++) {
      scores[j] = scores[j]! + q0 * kt[o0 + j]! + q1 * kt[o1 + j]! + q2 * kt[o2 + j]! + q3 * kt[o3 + j]!;
    }
  }
  for (; c < d; c++) {
    const qc = q[qo + c]!;
    const o = c * keys;
    for (let j = 0; j < n; j++) scores[j] = scores[j]! + qc * kt[o + j]!;
  }
}

/** out[oo+c] = Σ_j p[j]·vt[c][j] for j < n, four channels per pass. */
function weightedValues(
  p: Float64Array,
  vt: Float32Array,
  d: number,
  keys: number,
  n: number,
  out: Float32Array,
  oo: number,
): void {
  let c = 0;
  for (; c + 4 <= d; c += 4) {
    const o0 = c * keys;
    const o1 = o0 + keys;
    const o2 = o1 + keys;
    const o3 = o2 + keys;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let j = 0; j < n; j++) {
      const w = p[j]!;
      a0 += w * vt[o0 + j]!;
      a1 += w * vt[o1 + j]!;
      a2 += w * vt[o2 + j]!;
      a3 += w * vt[o3 + j]!;
    }
    out[oo + c] = a0;
    out[oo + c + 1] = a1;
    out[oo + c + 2] = a2;
    out[oo + c + 3] = a3;
  }
  for (; c < d; c++) {
    const o = c * keys;
    let a = 0;
    for (let j = 0; j < n; j++) a += p[j]! * vt[o + j]!;
    out[oo + c] = a;
  }
}

/** q [Tq, heads·d], k/v [Tk, kvHeads·d] → [Tq, heads·d]. */
export function attention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  shape: AttentionShape,
  masking: AttentionMasking,
): Float32Array {
  const { queries: tq, keys: tk, heads, kvHeads, headDim: d } = shape;
  if (heads % kvHeads !== 0) throw new RangeError(`attention: ${heads} heads over ${kvHeads} kv heads`);
  if (q.length !== tq * heads * d || k.length !== tk * kvHeads * d || v.length !== tk * kvHeads * d) {
    throw new RangeError("attention: q/k/v sizes do not match the shape");
  }
  const { keyMask, causal = false, scoreDivisor } = masking;
  const group = heads / kvHeads;
  const out = new Float32Array(tq * heads * d);
  const scores = new Float64Array(tk);
  for (let kvh = 0; kvh < kvHeads; kvh++) {
    const kt = headTransposed(k, tk, kvHeads, d, kvh);
    const vt = headTransposed(v, tk, kvHeads, d, kvh);
    for (let h = kvh * group; h < (kvh + 1) * group; h++) {
      for (let i = 0; i < tq; i++) {
        const qo = (i * heads + h) * d;
        const n = causal ? Math.min(i + 1, tk) : tk;
        dotScores(q, qo, kt, d, tk, n, scores);
        let visible = 0;
        for (let j = 0; j < n; j++) {
          if (keyMask && keyMask[j] === 0) {
            scores[j] = -Infinity;
          } else {
            scores[j] = scores[j]! / scoreDivisor;
            visible++;
          }
        }
        if (visible === 0) throw new RangeError(`attention: query ${i} sees no key`);
        softmaxInPlace(scores, 0, n);
        weightedValues(scores, vt, d, tk, n, out, qo);
      }
    }
  }
  return out;
}

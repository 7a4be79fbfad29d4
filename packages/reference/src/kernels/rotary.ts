/**
 * LLaMA rotary position embedding as transformers 4.31 computes it, float32 at each step:
 * inv_freq = 1 / θ^(arange(0,d,2)/d), freqs = t·inv_freq, emb = cat(freqs, freqs), and
 * x·cos + rotate_half(x)·sin with rotate_half(x) = cat(−x[d/2:], x[:d/2]).
 */

export interface RotaryTable {
  readonly headDim: number;
  /** [positions, headDim] */
  readonly cos: Float32Array;
  readonly sin: Float32Array;
}

export function rotaryInverseFrequencies(headDim: number, theta: number): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let k = 0; k < half; k++) {
    const exponent = Math.fround((2 * k) / headDim);
    inv[k] = Math.fround(1 / Math.fround(Math.pow(theta, exponent)));
  }
  return inv;
}

/** cos/sin rows for positions 0..count−1 (the plain arange position ids of the reference). */
export function rotaryTable(headDim: number, theta: number, count: number): RotaryTable {
  if (headDim % 2 !== 0) throw new RangeError(`rotary head size ${headDim} is odd`);
  const inv = rotaryInverseFrequencies(headDim, theta);
  const half = headDim / 2;
  const cos = new Float32Array(count * headDim);
  const sin = new Float32Array(count * headDim);
  for (let t = 0; t < count; t++) {
    for (let k = 0; k < half; k++) {
      const angle = Math.fround(t * inv[k]!);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[t * headDim + k] = c;
      cos[t * headDim + k + half] = c;
      sin[t * headDim + k] = s;
      sin[t * headDim + k + half] = s;
    }
  }
  return { headDim, cos, sin };
}

/** Rotates x [T, heads·headDim] in place; row t uses position t. */
export function applyRotaryInPlace(table: RotaryTable, x: Float32Array, tokens: number, heads: number): void {
  const d = table.headDim;
  const half = d / 2;
  const width = heads * d;
  if (x.length !== tokens * width)
    throw new RangeError(`rotary: ${x.length} values, expected ${tokens}×${width}`);
  if (table.cos.length < tokens * d)
    throw new RangeError(`rotary table covers fewer than ${tokens} positions`);
  for (let t = 0; t < tokens; t++) {
    const row = t * d;
    for (let h = 0; h < heads; h++) {
      const o = t * width + h * d;
      for (let i = 0; i < half; i++) {
        const x1 = x[o + i]!;
        const x2 = x[o + i + half]!;
        x[o + i] = x1 * table.cos[row + i]! - x2 * table.sin[row + i]!;
        x[o + i + half] = x2 * table.cos[row + i + half]! + x1 * table.sin[row + i + half]!;
      }
    }
  }
}

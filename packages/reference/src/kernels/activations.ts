/** Elementwise activations, in place on float32 storage (each value computed in float64). */
import { erf } from "./erf";

const SQRT1_2 = Math.SQRT1_2;

/** nn.GELU() (approximate="none"): x·½·(1 + erf(x/√2)). */
export function geluInPlace(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v * 0.5 * (1 + erf(v * SQRT1_2));
  }
  return x;
}

/** CLIP's quick_gelu: x·sigmoid(1.702·x). */
export function quickGeluInPlace(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v / (1 + Math.exp(-1.702 * v));
  }
  return x;
}

export function siluInPlace(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v / (1 + Math.exp(-v));
  }
  return x;
}

export function reluInPlace(x: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) if (x[i]! < 0) x[i] = 0;
  return x;
}

export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** Softmax over `n` values starting at `offset`, in place (max-subtracted, float64 sum). */
export function softmaxInPlace(x: Float32Array | Float64Array, offset = 0, n = x.length - offset): void {
  let max = -Infinity;
  for (let i = offset; i < offset + n; i++) if (x[i]! > max) max = x[i]!;
  let sum = 0;
  for (let i = offset; i < offset + n; i++) {
    const e = Math.exp(x[i]! - max);
    x[i] = e;
    sum += e;
  }
  for (let i = offset; i < offset + n; i++) x[i] = x[i]! / sum;
}

/** torch.argmax over a row: the first maximal value wins. */
export function argmax(x: Float32Array, offset = 0, n = x.length - offset): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[offset + i]!;
    if (v > bestValue || (Number.isNaN(v) && !Number.isNaN(bestValue))) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

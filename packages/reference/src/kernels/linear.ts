/** Dense products. Storage is float32; every dot product accumulates in float64. */

/** A PyTorch nn.Linear: weight [out, in], optional bias [out]. */
export interface LinearWeights {
  readonly weight: Float32Array;
  readonly bias: Float32Array | undefined;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** x [rows, in] → x @ Wᵀ + b [rows, out]. Blocks 2 rows × 4 outputs so each load feeds several sums. */
export function linear(layer: LinearWeights, x: Float32Array, rows: number): Float32Array {
  const { weight: w, bias, inFeatures: n, outFeatures: m } = layer;
  if (x.length !== rows * n) {
    throw new RangeError(`linear: input has ${x.length} values, expected ${rows}×${n}`);
  }
  const out = new Float32Array(rows * m);
  let r = 0;
  for (; r + 2 <= rows; r += 2) {
    const xa = r * n;
    const xb = xa + n;
    let o = 0;
    for (; o + 4 <= m; o += 4) {
      const w0 = o * n;
      const w1 = w0 + n;
      const w2 = w1 + n;
      const w3 = w2 + n;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      for (let i = 0; i < n; i++) {
        const xv = x[xa + i]!;
        const yv = x[xb + i]!;
        const v0 = w[w0 + i]!;
        const v1 = w[w1 + i]!;
        const v2 = w[w2 + i]!;
        const v3 = w[w3 + i]!;
        a0 += xv * v0;
        a1 += xv * v1;
        a2 += xv * v2;
        a3 += xv * v3;
        b0 += yv * v0;
        b1 += yv * v1;
        b2 += yv * v2;
        b3 += yv * v3;
      }
      const ra = r * m + o;
      const rb = ra + m;
      out[ra] = a0 + (bias ? bias[o]! : 0);
      out[ra + 1] = a1 + (bias ? bias[o + 1]! : 0);
      out[ra + 2] = a2 + (bias ? bias[o + 2]! : 0);
      out[ra + 3] = a3 + (bias ? bias[o + 3]! : 0);
      out[rb] = b0 + (bias ? bias[o]! : 0);
      out[rb + 1] = b1 + (bias ? bias[o + 1]! : 0);
      out[rb + 2] = b2 + (bias ? bias[o + 2]! : 0);
      out[rb + 3] = b3 + (bias ? bias[o + 3]! : 0);
    }
    for (; o < m; o++) {
      out[r * m + o] = dot(x, xa, w, o * n, n) + (bias ? bias[o]! : 0);
      out[(r + 1) * m + o] = dot(x, xb, w, o * n, n) + (bias ? bias[o]! : 0);
    }
  }
  for (; r < rows; r++) {
    for (let o = 0; o < m; o++) out[r * m + o] = dot(x, r * n, w, o * n, n) + (bias ? bias[o]! : 0);
  }
  return out;
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i]! * b[bo + i]!;
  return s;
}

/** a [m, k] @ b [k, n] → [m, n]. */
export function matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      const bo = p * n;
      for (let j = 0; j < n; j++) row[j] = row[j]! + av * b[bo + j]!;
    }
    out.set(row, i * n);
  }
  return out;
}

/** Elementwise a += b (same length), the residual connections. */
export function addInPlace(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length !== b.length) throw new RangeError(`add: ${a.length} vs ${b.length} values`);
  for (let i = 0; i < a.length; i++) a[i] = a[i]! + b[i]!;
  return a;
}

/** Transposes x [rows, cols] → [cols, rows]. */
export function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
  return out;
}

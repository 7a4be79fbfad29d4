/**
 * SAM's PositionEmbeddingRandom (`prompt_encoder.py`) for a dense h×w grid: coordinates
 * ((cumsum − 0.5)/size)·2 − 1 as (x, y), times the Gaussian buffer [2, F], times 2π, then
 * [sin, cos] → [2F, h, w]. Steps are rounded to float32 as the buffer's dtype makes them.
 */
const TWO_PI_F32 = Math.fround(2 * Math.PI);

// in: gaussian [2, F]; out: [2F, h, w]
export function randomPositionEncoding(gaussian: Float32Array, h: number, w: number): Float32Array {
  const f = gaussian.length / 2;
  const out = new Float32Array(2 * f * h * w);
  const plane = h * w;
  for (let i = 0; i < h; i++) {
    const y = Math.fround(2 * Math.fround((i + 0.5) / h) - 1);
    for (let j = 0; j < w; j++) {
      const x = Math.fround(2 * Math.fround((j + 0.5) / w) - 1);
      const p = i * w + j;
      for (let k = 0; k < f; k++) {
        const angle = Math.fround(TWO_PI_F32 * Math.fround(x * gaussian[k]! + y * gaussian[f + k]!));
        out[k * plane + p] = Math.sin(angle);
        out[(f + k) * plane + p] = Math.cos(angle);
      }
    }
  }
  return out;
}

/**
 * LLaMA rotary tables as transformers 4.31 caches them (`LlamaRotaryEmbedding`):
 * `inv_freq = 1 / theta^(arange(0, d, 2) / d)`, `freqs = t ⊗ inv_freq`, `emb = cat(freqs, freqs)`,
 * then cos and sin, all in float32.
 */
import { f32 } from "./fp32";

/** out: cos and sin, each float32[maxPositions, headDim] */
export function rotaryTables(
  headDim: number,
  maxPositions: number,
  theta: number,
): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const invFreq = Array.from({ length: half }, (_, i) => f32(1 / f32(theta ** f32((2 * i) / headDim))));
  const cos = new Float32Array(maxPositions * headDim);
  const sin = new Float32Array(maxPositions * headDim);
  for (let t = 0; t < maxPositions; t++) {
    for (let i = 0; i < half; i++) {
      const angle = f32(t * invFreq[i]!);
      const c = f32(Math.cos(angle));
      const s = f32(Math.sin(angle));
      cos[t * headDim + i] = c;
      cos[t * headDim + half + i] = c;
      sin[t * headDim + i] = s;
      sin[t * headDim + half + i] = s;
    }
  }
  return { cos, sin };
}

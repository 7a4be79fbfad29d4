/**
 * SAM's `PositionEmbeddingRandom.forward((h, w))` as a constant: pixel centres normalised to
 * [-1, 1], projected by the checkpoint's Gaussian matrix, times 2π, then [sin, cos].
 */
import { f32 } from "./fp32";

/**
 * in: gaussian float32[2, F] (the positional_encoding_gaussian_matrix buffer)
 * out: float32[2F, h, w]
 */
export function randomFourierPositionalEncoding(gaussian: Float32Array, h: number, w: number): Float32Array {
  const features = gaussian.length / 2;
  const out = new Float32Array(2 * features * h * w);
  const twoPi = f32(2 * Math.PI);
  for (let y = 0; y < h; y++) {
    const cy = f32(f32(2 * f32(f32(y + 0.5) / h)) - 1);
    for (let x = 0; x < w; x++) {
      const cx = f32(f32(2 * f32(f32(x + 0.5) / w)) - 1);
      for (let k = 0; k < features; k++) {
        // coords @ G with coords = [x, y]
        const projected = f32(f32(cx * gaussian[k]!) + f32(cy * gaussian[features + k]!));
        const angle = f32(twoPi * projected);
        out[(k * h + y) * w + x] = f32(Math.sin(angle));
        out[((features + k) * h + y) * w + x] = f32(Math.cos(angle));
      }
    }
  }
  return out;
}

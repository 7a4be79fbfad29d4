/**
 * `PixelLMForCausalLM.postprocess_masks` and the mask score of evaluate(): bilinear 128 →
 * max(h', w') square, crop the padding to [:h', :w'], bilinear to the original (H, W); all fp32.
 */
import { ReferenceModelError } from "./errors";
import { resizeBilinear } from "./kernels/interpolate";
import { sigmoid } from "./kernels/activations";

// in: low-res logits [N, S, S]; out: [N, H, W]
export function postprocessMasks(
  lowRes: Float32Array,
  lowResSize: number,
  resized: readonly [number, number],
  original: readonly [number, number],
): Float32Array {
  const [h, w] = resized;
  const [oh, ow] = original;
  const target = Math.max(h, w);
  for (const v of [h, w, oh, ow]) {
    if (!Number.isInteger(v) || v < 1) {
      throw new ReferenceModelError(
        "bad_input",
        `resized (${h}, ${w}) and original (${oh}, ${ow}) sizes must be positive integers`,
      );
    }
  }
  const plane = lowResSize * lowResSize;
  const targets = lowRes.length / plane;
  const out = new Float32Array(targets * oh * ow);
  for (let n = 0; n < targets; n++) {
    const square = resizeBilinear(
      lowRes.subarray(n * plane, (n + 1) * plane),
      1,
      lowResSize,
      lowResSize,
      target,
      target,
    );
    const cropped = new Float32Array(h * w);
    for (let y = 0; y < h; y++) cropped.set(square.subarray(y * target, y * target + w), y * w);
    out.set(resizeBilinear(cropped, 1, h, w, oh, ow), n * oh * ow);
  }
  return out;
}

/** `(sigmoid(m)·(m > 0)).sum() / ((m > 0).sum() + 1e-6)` per mask of [N, pixels]. */
export function maskScores(masks: Float32Array, pixels: number): Float32Array {
  const targets = masks.length / pixels;
  const scores = new Float32Array(targets);
  for (let n = 0; n < targets; n++) {
    let sum = 0;
    let count = 0;
    for (let p = n * pixels; p < (n + 1) * pixels; p++) {
      const m = masks[p]!;
      if (m > 0) {
        sum += sigmoid(m);
        count++;
      }
    }
    scores[n] = sum / (count + 1e-6);
  }
  return scores;
}

/**
 * PixelLM `postprocess_masks` + chat.py binarisation, in float32: decoder logits [N,S,S] are
 * resized to max(h',w') square, cropped to the resized image [:h',:w'] (dropping the padding),
 * resized to the original H x W, thresholded at > 0, and scored.
 */
import type { HostTensor } from "@pixellm/tensor";
import { type PlaneView, forEachInterpolatedRow, interpolateBilinear, planeOf } from "./interpolate";

export interface PostprocessedMask {
  /** uint8[H,W] row-major, 1 where the logit is > 0. */
  readonly mask: Uint8Array;
  /** Mean sigmoid over the positive pixels: `Σ sigmoid(l)·[l>0] / (count(l>0) + 1e-6)`. */
  readonly score: number;
  /** Number of positive pixels. */
  readonly area: number;
}

export interface MaskGeometry {
  /** [h', w'] of the image after ResizeLongestSide, before padding. */
  readonly resized: readonly [number, number];
  /** [H, W] of the decoded image. */
  readonly original: readonly [number, number];
}

/** Splits decoder logits float32[N,S,S] or [N,1,S,S] into N square planes. */
function logitPlanes(logits: HostTensor<"float32">): { count: number; size: number } {
  const shape = logits.shape;
  const size = shape[shape.length - 1];
  const ok =
    (shape.length === 3 || (shape.length === 4 && shape[1] === 1)) &&
    size !== undefined &&
    shape[shape.length - 2] === size;
  if (!ok) throw new RangeError(`mask logits must be [N,S,S] or [N,1,S,S], got [${shape.join(",")}]`);
  return { count: shape[0]!, size };
}

function checkGeometry({ resized, original }: MaskGeometry): void {
  const [h, w] = resized;
  const [oh, ow] = original;
  for (const v of [h, w, oh, ow]) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(
        `mask geometry needs positive sizes, got resized [${h},${w}] original [${oh},${ow}]`,
      );
    }
  }
}

/** The cropped max(h',w')-square upsampling of one logit plane: the input of the final resize. */
function croppedSquare(plane: PlaneView, resized: readonly [number, number]): PlaneView {
  const [h, w] = resized;
  const side = Math.max(h, w);
  const square = interpolateBilinear(
    plane.data.subarray(plane.offset, plane.offset + plane.height * plane.width),
    1,
    plane.height,
    plane.width,
    side,
    side,
  );
  return { data: square, offset: 0, height: h, width: w, rowStride: side };
}

/**
 * Mask logits at the original resolution, for callers that need them rather than a binary mask.
 * in: float32[N,S,S] -> out: float32[N,H,W]
 */
export function maskLogitsAtOriginal(logits: HostTensor<"float32">, geometry: MaskGeometry): Float32Array {
  checkGeometry(geometry);
  const { count, size } = logitPlanes(logits);
  const [oh, ow] = geometry.original;
  const out = new Float32Array(count * oh * ow);
  for (let n = 0; n < count; n++) {
    const source = croppedSquare(planeOf(logits.data, size, size, n), geometry.resized);
    forEachInterpolatedRow(source, oh, ow, (y, row) => out.set(row, (n * oh + y) * ow));
  }
  return out;
}

/**
 * Binary masks and scores at the original resolution, streamed row by row (no float32 H x W copy).
 * in: float32[N,S,S] -> out: N x uint8[H,W]
 */
export function postprocessMasks(logits: HostTensor<"float32">, geometry: MaskGeometry): PostprocessedMask[] {
  checkGeometry(geometry);
  const { count } = logitPlanes(logits);
  return Array.from({ length: count }, (_, n) => postprocessMask(logits, n, geometry));
}

/**
 * Mask `n` of the logits alone. A caller that encodes each mask before making the next, into the
 * same `into` buffer, holds one H x W mask however many targets there are (a fresh buffer per
 * mask would leave the garbage collector to decide how many stay resident).
 * in: float32[N,S,S], n -> out: uint8[H,W] (`into`, overwritten, when given)
 */
export function postprocessMask(
  logits: HostTensor<"float32">,
  n: number,
  geometry: MaskGeometry,
  into?: Uint8Array,
): PostprocessedMask {
  checkGeometry(geometry);
  const { count, size } = logitPlanes(logits);
  if (!Number.isInteger(n) || n < 0 || n >= count)
    throw new RangeError(`mask index ${n} is outside the ${count} planes`);
  const [oh, ow] = geometry.original;
  if (into && into.length !== oh * ow)
    throw new RangeError(`a ${oh}x${ow} mask needs ${oh * ow} bytes, the buffer has ${into.length}`);
  const source = croppedSquare(planeOf(logits.data, size, size, n), geometry.resized);
  const mask = into ? into.fill(0) : new Uint8Array(oh * ow);
  let area = 0;
  let sigmoidSum = 0;
  forEachInterpolatedRow(source, oh, ow, (y, row) => {
    const base = y * ow;
    for (let x = 0; x < ow; x++) {
      const v = row[x]!;
      if (v > 0) {
        mask[base + x] = 1;
        area++;
        sigmoidSum += Math.fround(1 / (1 + Math.exp(-v)));
      }
    }
  });
  // torch: float32 sum / (int64 count + 1e-6 -> float32)
  const score = Math.fround(Math.fround(sigmoidSum) / Math.fround(area + 1e-6));
  return { mask, score, area };
}

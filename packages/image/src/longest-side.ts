/** SAM's `ResizeLongestSide.get_preprocess_shape`, the resized size used by the official pipeline. */
import { ImageInputError } from "./errors";

/** The CLIP input side of PixelLM (`resize_vision_tower_size`): images are resized and padded to it. */
export const CLIP_IMAGE_SIZE = 448;

/**
 * `scale = long / max(h, w)` in float64, then `int(x * scale + 0.5)` per side. A side can round to 0
 * for extreme aspect ratios (1x2000 -> 0x448); callers must reject that.
 * in: original [h, w] -> out: resized [h', w']
 */
export function longestSideShape(
  height: number,
  width: number,
  longSide: number = CLIP_IMAGE_SIZE,
): [number, number] {
  const scale = (longSide * 1.0) / Math.max(height, width);
  return [Math.trunc(height * scale + 0.5), Math.trunc(width * scale + 0.5)];
}

/** Rejects images whose shorter side would become 0 pixels wide after the resize (e.g. 1x2000). */
export function checkResizable(
  height: number,
  width: number,
  longSide: number = CLIP_IMAGE_SIZE,
): [number, number] {
  const [h, w] = longestSideShape(height, width, longSide);
  if (h < 1 || w < 1) {
    const longer = Math.max(height, width);
    let shorter = Math.max(1, Math.ceil((0.5 * longer) / longSide));
    while (Math.min(...longestSideShape(shorter, longer, longSide)) < 1) shorter++;
    throw new ImageInputError(
      "IMAGE_TOO_THIN",
      `image is ${width}x${height} pixels: resizing its longer side to ${longSide} makes the shorter side ` +
        `0 pixels; with a longer side of ${longer} the shorter side must be at least ${shorter} pixels ` +
        `(pad or crop the image to a less extreme aspect ratio)`,
    );
  }
  return [h, w];
}

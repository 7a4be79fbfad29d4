/**
 * The CLIP input of chat.py with `--pad_train_clip_images`: ResizeLongestSide(448) with PIL
 * bilinear, `(x - mean) / std` in float32 with SAM/ImageNet constants in 0-255 units, zero padding
 * to 448x448 at the bottom and right.
 */
import { type HostTensor, float32Tensor } from "@pixellm/tensor";
import { CLIP_IMAGE_SIZE, checkResizable } from "./longest-side";
import { resizeBilinearPil } from "./pil-resize";
import { type RgbImage, checkRgbImage } from "./rgb-image";

export const PIXEL_MEAN: readonly number[] = [123.675, 116.28, 103.53];
export const PIXEL_STD: readonly number[] = [58.395, 57.12, 57.375];

export interface ClipInput {
  /** float32[3,size,size], channels R,G,B; zero in the padding. */
  readonly pixelValues: HostTensor<"float32">;
  /** [h', w'] after the resize: the valid area of pixelValues (`clip_resize`). */
  readonly resized: [number, number];
  /** [H, W] of the input image (`original_size`). */
  readonly original: [number, number];
}

/** ResizeLongestSide with PIL bilinear. in: RGB8 [H,W,3] -> out: RGB8 [h',w',3] */
export function resizeForClip(image: RgbImage, size: number = CLIP_IMAGE_SIZE): RgbImage {
  checkRgbImage(image);
  const [h, w] = checkResizable(image.height, image.width, size);
  return { width: w, height: h, data: resizeBilinearPil(image.data, image.width, image.height, w, h) };
}

/**
 * `(x - mean) / std` in float32 as torch computes it, zero-padded bottom/right to size².
 * in: resized RGB8 [h',w',3] (h', w' ≤ size) -> out: float32[3,size,size]
 */
export function normalizeForClip(resized: RgbImage, size: number = CLIP_IMAGE_SIZE): Float32Array {
  checkRgbImage(resized);
  const { width: w, height: h, data: rgb } = resized;
  if (w > size || h > size) throw new RangeError(`a ${w}x${h} image does not fit the ${size}x${size} canvas`);
  const out = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    // torch: uint8 - float32 tensor gives float32, then float32 division
    const mean = Math.fround(PIXEL_MEAN[c]!);
    const std = Math.fround(PIXEL_STD[c]!);
    const plane = c * size * size;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        out[plane + y * size + x] = Math.fround(rgb[(y * w + x) * 3 + c]! - mean) / std;
      }
    }
  }
  return out;
}

/** in: RGB8 [H,W,3] -> out: pixel_values float32[3,size,size] */
export function preprocessForClip(image: RgbImage, size: number = CLIP_IMAGE_SIZE): ClipInput {
  const resized = resizeForClip(image, size);
  return {
    pixelValues: float32Tensor([3, size, size], normalizeForClip(resized, size)),
    resized: [resized.height, resized.width],
    original: [image.height, image.width],
  };
}

/** PNG renderings of a binary mask: the mask itself (0/255 grey) and chat.py's red overlay. */
import sharp from "sharp";
import { type RgbImage, checkRgbImage } from "./rgb-image";

function checkMask(mask: Uint8Array, height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`mask needs positive integer dimensions, got ${width}x${height}`);
  }
  if (mask.length !== height * width) {
    throw new RangeError(`mask of ${width}x${height} needs ${height * width} bytes, got ${mask.length}`);
  }
}

/** in: uint8[H,W] (non-zero = foreground) -> 8-bit greyscale PNG, 255 on the mask, 0 elsewhere */
export async function maskToPng(mask: Uint8Array, height: number, width: number): Promise<Buffer> {
  checkMask(mask, height, width);
  const grey = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) grey[i] = mask[i] !== 0 ? 255 : 0;
  // sharp widens one-band data to sRGB on output unless told otherwise
  return sharp(grey, { raw: { width, height, channels: 1 } })
    .toColourspace("b-w")
    .png()
    .toBuffer();
}

/**
 * chat.py's `masked_img`: on mask pixels `image * 0.5 + [255, 0, 0] * 0.5`, truncated to uint8 as
 * numpy's float-to-uint8 assignment does; other pixels unchanged. Written as PNG (chat.py: JPEG).
 */
export function overlayMask(image: RgbImage, mask: Uint8Array): RgbImage {
  checkRgbImage(image);
  checkMask(mask, image.height, image.width);
  const data = image.data.slice();
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    const p = i * 3;
    data[p] = Math.trunc(data[p]! * 0.5 + 127.5);
    data[p + 1] = Math.trunc(data[p + 1]! * 0.5);
    data[p + 2] = Math.trunc(data[p + 2]! * 0.5);
  }
  return { width: image.width, height: image.height, data };
}

/** in: RGB8 image + uint8[H,W] mask -> RGB PNG of the overlay */
export async function overlayPng(image: RgbImage, mask: Uint8Array): Promise<Buffer> {
  return rgbToPng(overlayMask(image, mask));
}

/** in: RGB8 image -> RGB PNG */
export async function rgbToPng(image: RgbImage): Promise<Buffer> {
  checkRgbImage(image);
  const { width, height, data } = image;
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

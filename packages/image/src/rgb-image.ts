/** An 8-bit RGB image: `data` is row-major, interleaved R,G,B, exactly width*height*3 bytes. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export function checkRgbImage(image: RgbImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`RGB image needs positive integer dimensions, got ${width}x${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new RangeError(
      `RGB image ${width}x${height} needs ${width * height * 3} bytes, got ${data.length}`,
    );
  }
}

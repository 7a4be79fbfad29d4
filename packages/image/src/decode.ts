/**
 * Untrusted image bytes -> RGB8, the way the reference reads them (`cv2.imread(IMREAD_COLOR)` then
 * BGR->RGB): alpha dropped (not composited), grey replicated, 16-bit truncated to 8-bit, ICC
 * profiles ignored, EXIF orientation applied to JPEGs, CMYK JPEGs converted with OpenCV's formula.
 * Limits are checked on the header before any pixel is decoded.
 */
import sharp from "sharp";
import { ImageInputError } from "./errors";
import { CLIP_IMAGE_SIZE, checkResizable } from "./longest-side";
import type { RgbImage } from "./rgb-image";
import { type ImageFormat, hexPrefix, pngHeaderSize, sniffImageFormat } from "./sniff";

export interface DecodeLimits {
  /** Largest accepted encoded size in bytes. */
  readonly maxBytes: number;
  /** Largest accepted width*height (after the header is read, before decoding). */
  readonly maxPixels: number;
  /** The resize target whose shorter side must not round to 0 pixels. */
  readonly longSide: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 40_000_000,
  longSide: CLIP_IMAGE_SIZE,
};

const FORMAT_NAMES: Record<ImageFormat, string> = { png: "PNG", jpeg: "JPEG", webp: "WebP", gif: "GIF" };
const ACCEPTED = "PNG, JPEG, WebP or GIF";

function byteSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${bytes} bytes`;
}

function megapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(1)} MP`;
}

function checkLimits(limits: DecodeLimits): void {
  for (const [name, v] of Object.entries(limits)) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw new RangeError(`decode limit ${name} must be a positive integer, got ${String(v)}`);
    }
  }
}

function checkPixels(width: number, height: number, format: ImageFormat, maxPixels: number): void {
  if (width === 0 || height === 0) {
    throw new ImageInputError(
      "ZERO_DIMENSION",
      `${FORMAT_NAMES[format]} header says the image is ${width}x${height} pixels; an image needs at least 1x1`,
    );
  }
  if (width * height > maxPixels) {
    throw new ImageInputError(
      "TOO_MANY_PIXELS",
      `image is ${width}x${height} = ${megapixels(width * height)}, over the ${megapixels(maxPixels)} limit ` +
        `(maxPixels); downscale it before sending`,
    );
  }
}

/** Everything sharp throws becomes an ImageInputError that names the format and sharp's reason. */
function asInputError(error: unknown, format: ImageFormat, maxPixels: number): ImageInputError {
  if (error instanceof ImageInputError) return error;
  const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0]!.trim();
  if (/pixel limit/i.test(reason)) {
    return new ImageInputError(
      "TOO_MANY_PIXELS",
      `image is over the ${megapixels(maxPixels)} limit (maxPixels); downscale it before sending`,
    );
  }
  return new ImageInputError(
    "CORRUPT_IMAGE",
    `${FORMAT_NAMES[format]} data is corrupt or truncated (${reason}); re-export or re-upload the complete file`,
  );
}

interface Header {
  readonly width: number;
  readonly height: number;
  readonly cmyk: boolean;
}

async function readHeader(bytes: Uint8Array, format: ImageFormat, limits: DecodeLimits): Promise<Header> {
  const png = format === "png" ? pngHeaderSize(bytes) : undefined;
  if (png) checkPixels(png.width, png.height, format, limits.maxPixels);
  // Header only; the pixel limit is ours to report, so sharp's own is off for this call.
  const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  if (meta.format !== format) {
    throw new ImageInputError(
      "UNSUPPORTED_FORMAT",
      `data starts like ${FORMAT_NAMES[format]} but decodes as ${meta.format}; send ${ACCEPTED}`,
    );
  }
  const pages = meta.pages ?? 1;
  if (pages > 1) {
    throw new ImageInputError(
      "ANIMATED_IMAGE",
      `animated ${FORMAT_NAMES[format]} with ${pages} frames is not supported; send a single still image ` +
        `(for example one frame saved as PNG)`,
    );
  }
  checkPixels(meta.width, meta.height, format, limits.maxPixels);
  // cv2.imread applies EXIF orientation for JPEG only (OpenCV 4.8, as pinned by PixelLM).
  const swap = format === "jpeg" && (meta.orientation ?? 1) >= 5;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;
  checkResizable(height, width, limits.longSide);
  return { width, height, cmyk: meta.space === "cmyk" };
}

/**
 * OpenCV's icvCvt_CMYK2BGR_8u_C4C3R works on libjpeg's Adobe-inverted samples (255 = no ink);
 * libvips hands out ink amounts, so they are inverted back first.
 */
function cmykToRgbLikeOpenCv(cmyk: Uint8Array, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const k = 255 - cmyk[i * 4 + 3]!;
    for (let c = 0; c < 3; c++) {
      const v = 255 - cmyk[i * 4 + c]!;
      rgb[i * 3 + c] = k - (((255 - v) * k) >> 8);
    }
  }
  return rgb;
}

async function decodePixels(
  bytes: Uint8Array,
  format: ImageFormat,
  header: Header,
  maxPixels: number,
): Promise<RgbImage> {
  let pipeline = sharp(bytes, { failOn: "error", limitInputPixels: maxPixels, ignoreIcc: true });
  if (format === "jpeg") pipeline = pipeline.autoOrient();
  if (header.cmyk) {
    const { data, info } = await pipeline
      .pipelineColourspace("cmyk")
      .toColourspace("cmyk")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`CMYK decode gave ${info.channels} channels`);
    return {
      width: info.width,
      height: info.height,
      data: cmykToRgbLikeOpenCv(data, info.width * info.height),
    };
  }
  const { data, info } = await pipeline
    .removeAlpha()
    .toColourspace("srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`RGB decode gave ${info.channels} channels`);
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

/** Decodes PNG, JPEG, WebP or a still GIF into RGB8, enforcing `limits` (defaults: 20 MiB, 40 MP, 448). */
export async function decodeImage(bytes: Uint8Array, limits: Partial<DecodeLimits> = {}): Promise<RgbImage> {
  const merged: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, ...limits };
  checkLimits(merged);
  if (bytes.length === 0) {
    throw new ImageInputError("EMPTY_INPUT", `image is empty (0 bytes); send ${ACCEPTED} data`);
  }
  if (bytes.length > merged.maxBytes) {
    throw new ImageInputError(
      "INPUT_TOO_LARGE",
      `image is ${byteSize(bytes.length)}, over the ${byteSize(merged.maxBytes)} limit (maxBytes); ` +
        `send a smaller or more compressed file`,
    );
  }
  const format = sniffImageFormat(bytes);
  if (!format) {
    throw new ImageInputError(
      "UNSUPPORTED_FORMAT",
      `image format not recognised (first bytes: ${hexPrefix(bytes)}); send ${ACCEPTED}`,
    );
  }
  try {
    const header = await readHeader(bytes, format, merged);
    const image = await decodePixels(bytes, format, header, merged.maxPixels);
    if (image.width !== header.width || image.height !== header.height) {
      throw new Error(`decoded ${image.width}x${image.height}, header said ${header.width}x${header.height}`);
    }
    return image;
  } catch (error: unknown) {
    throw asInputError(error, format, merged.maxPixels);
  }
}

import { crc32 } from "node:zlib";
import { uniformStream } from "@pixellm/tensor";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { type ImageInputErrorCode, type RgbImage, ImageInputError, decodeImage } from "../src";
import { fromBase64, runPython, toBase64 } from "./support/python";
import { randomBytes } from "./support/random";

const random = uniformStream(42);

function rawInput(data: Uint8Array | Uint16Array, width: number, height: number, channels: 1 | 2 | 3 | 4) {
  return sharp(data, { raw: { width, height, channels } });
}

/** 32 x 16: left half red, right half blue. */
function halves(): Uint8Array {
  const out = new Uint8Array(32 * 16 * 3);
  for (let y = 0; y < 16; y++) for (let x = 0; x < 32; x++) out[(y * 32 + x) * 3 + (x < 16 ? 0 : 2)] = 255;
  return out;
}

/** A smooth photo-like image, so JPEG keeps it close to the original. */
function gradient(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      out[p] = (x * 255) / (width - 1);
      out[p + 1] = (y * 255) / (height - 1);
      out[p + 2] = ((x + y) * 127) / (width + height);
    }
  }
  return out;
}

function pixel(image: RgbImage, x: number, y: number): number[] {
  const p = (y * image.width + x) * 3;
  return [...image.data.subarray(p, p + 3)];
}

function pngChunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** A well-formed PNG header (with CRC) claiming any size, followed by IEND and no pixel data. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IEND", new Uint8Array(0)),
  ]);
}

/** Rewrites the SOF0/SOF2 frame size of a JPEG. */
function patchJpegSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9; i++) {
    if (out[i] === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2)) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
  }
  throw new Error("no SOF marker");
}

const PIL_DECODE = `
import sys, json, base64, io
import numpy as np
from PIL import Image
out = []
for job in json.load(sys.stdin):
    im = Image.open(io.BytesIO(base64.b64decode(job["data"])))
    if im.mode == "CMYK":
        # PIL gives ink amounts; libjpeg (and so cv2) sees Adobe-inverted samples, then cv2's
        # icvCvt_CMYK2BGR_8u_C4C3R: v = k - ((255 - v) * k >> 8)
        inv = 255 - np.asarray(im).astype(np.int32)
        k = inv[..., 3:4]
        rgb = (k - (((255 - inv[..., :3]) * k) >> 8)).astype(np.uint8)
    else:
        rgb = np.asarray(im.convert("RGB"))
    out.append({"w": im.width, "h": im.height, "data": base64.b64encode(rgb.tobytes()).decode()})
json.dump(out, sys.stdout)
`;

function pilDecode(files: Uint8Array[]): RgbImage[] {
  const out = runPython(
    PIL_DECODE,
    files.map((f) => ({ data: toBase64(f) })),
  ) as { w: number; h: number; data: string }[];
  return out.map((o) => ({ width: o.w, height: o.h, data: fromBase64(o.data) }));
}

describe("decodeImage: formats", () => {
  it("decodes RGB PNG exactly", async () => {
    const rgb = randomBytes(7 * 5 * 3, random);
    const image = await decodeImage(await rawInput(rgb, 7, 5, 3).png().toBuffer());
    expect([image.width, image.height]).toEqual([7, 5]);
    expect(image.data).toEqual(rgb);
  });

  it("replicates grey PNG into three channels", async () => {
    const png = await rawInput(Uint8Array.from([0, 77, 200, 255]), 2, 2, 1)
      .toColourspace("b-w")
      .png()
      .toBuffer();
    expect((await sharp(png).metadata()).channels).toBe(1);
    const image = await decodeImage(png);
    expect([...image.data]).toEqual([0, 0, 0, 77, 77, 77, 200, 200, 200, 255, 255, 255]);
  });

  it("drops alpha without compositing (RGBA and grey+alpha), as IMREAD_COLOR does", async () => {
    const rgba = Uint8Array.from([10, 20, 30, 0, 40, 50, 60, 128, 70, 80, 90, 255]);
    const image = await decodeImage(await rawInput(rgba, 3, 1, 4).png().toBuffer());
    expect([...image.data]).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const greyAlpha = await rawInput(Uint8Array.from([9, 0, 99, 255]), 2, 1, 2)
      .toColourspace("b-w")
      .png()
      .toBuffer();
    expect((await sharp(greyAlpha).metadata()).channels).toBe(2);
    expect([...(await decodeImage(greyAlpha)).data]).toEqual([9, 9, 9, 99, 99, 99]);
  });

  it("truncates 16-bit PNG samples to their high byte (libpng strip_16, as cv2)", async () => {
    const samples = Uint16Array.from([0x12ff, 0x1280, 0xffff, 0x00ff, 0x8000, 0x7fff]);
    const png = await rawInput(samples, 2, 1, 3).toColourspace("rgb16").png().toBuffer();
    expect((await sharp(png).metadata()).depth).toBe("ushort");
    expect([...(await decodeImage(png)).data]).toEqual([0x12, 0x12, 0xff, 0x00, 0x80, 0x7f]);
  });

  it("decodes baseline and progressive JPEG exactly as PIL's libjpeg does", async () => {
    const rgb = gradient(61, 47);
    const baseline = await rawInput(rgb, 61, 47, 3).jpeg({ quality: 85 }).toBuffer();
    const progressive = await rawInput(rgb, 61, 47, 3).jpeg({ quality: 85, progressive: true }).toBuffer();
    expect((await sharp(progressive).metadata()).isProgressive).toBe(true);
    const [pilBaseline, pilProgressive] = pilDecode([baseline, progressive]);
    const ours = [await decodeImage(baseline), await decodeImage(progressive)];
    expect(ours[0]).toEqual(pilBaseline);
    expect(ours[1]).toEqual(pilProgressive);
  });

  it("applies EXIF orientation 6 to JPEG (rotate 90 degrees clockwise)", async () => {
    const jpeg = await rawInput(halves(), 32, 16, 3).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const image = await decodeImage(jpeg);
    expect([image.width, image.height]).toEqual([16, 32]);
    // the left (red) half becomes the top half; JPEG error stays under 30 levels
    const [r0, , b0] = pixel(image, 8, 4);
    const [r1, , b1] = pixel(image, 8, 28);
    expect(r0).toBeGreaterThan(225);
    expect(b0).toBeLessThan(30);
    expect(b1).toBeGreaterThan(225);
    expect(r1).toBeLessThan(30);
  });

  it("leaves a PNG's EXIF orientation alone, as cv2 4.8 does", async () => {
    const png = await rawInput(halves(), 32, 16, 3).withMetadata({ orientation: 6 }).png().toBuffer();
    expect((await sharp(png).metadata()).orientation).toBe(6);
    const image = await decodeImage(png);
    expect([image.width, image.height]).toEqual([32, 16]);
    expect(image.data).toEqual(halves());
  });

  it("converts CMYK JPEG with OpenCV's formula (checked against PIL's CMYK samples)", async () => {
    const cmyk = await rawInput(gradient(40, 24), 40, 24, 3)
      .toColourspace("cmyk")
      .jpeg({ quality: 90 })
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe("cmyk");
    const [reference] = pilDecode([cmyk]);
    expect(await decodeImage(cmyk)).toEqual(reference);
  });

  it("decodes lossless WebP exactly and still GIF palettes exactly", async () => {
    const rgb = randomBytes(9 * 4 * 3, random);
    expect(
      (await decodeImage(await rawInput(rgb, 9, 4, 3).webp({ lossless: true }).toBuffer())).data,
    ).toEqual(rgb);
    const palette = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    const gif = await decodeImage(await rawInput(palette, 2, 2, 3).gif().toBuffer());
    expect([...gif.data]).toEqual([...palette]);
  });

  it("accepts an image exactly at the pixel limit", async () => {
    const png = await rawInput(new Uint8Array(10 * 10 * 3), 10, 10, 3)
      .png()
      .toBuffer();
    expect((await decodeImage(png, { maxPixels: 100 })).width).toBe(10);
  });
});

async function expectInputError(
  bytes: Uint8Array | Promise<Uint8Array>,
  code: ImageInputErrorCode,
  message: RegExp,
  limits = {},
): Promise<void> {
  const error: unknown = await decodeImage(await bytes, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageInputError);
  expect((error as ImageInputError).code).toBe(code);
  expect((error as ImageInputError).message).toMatch(message);
}

describe("decodeImage: bad input", () => {
  const smallPng = () =>
    rawInput(randomBytes(64 * 64 * 3, random), 64, 64, 3)
      .png()
      .toBuffer();
  const smallJpeg = () => rawInput(gradient(256, 256), 256, 256, 3).jpeg().toBuffer();
  const frames = async () => [
    await rawInput(new Uint8Array(8 * 8 * 3).fill(200), 8, 8, 3)
      .png()
      .toBuffer(),
    await rawInput(new Uint8Array(8 * 8 * 3).fill(50), 8, 8, 3)
      .png()
      .toBuffer(),
  ];

  it("empty input -> EMPTY_INPUT", () =>
    expectInputError(new Uint8Array(0), "EMPTY_INPUT", /empty \(0 bytes\)/));

  it("3 random bytes -> UNSUPPORTED_FORMAT", () =>
    expectInputError(Uint8Array.from([0x13, 0x37, 0x42]), "UNSUPPORTED_FORMAT", /not recognised.*13 37 42/));

  it("text with no magic bytes -> UNSUPPORTED_FORMAT", () =>
    expectInputError(Buffer.from("definitely not an image"), "UNSUPPORTED_FORMAT", /PNG, JPEG, WebP or GIF/));

  it("a valid TIFF (sharp could decode it) -> UNSUPPORTED_FORMAT", async () =>
    expectInputError(
      rawInput(new Uint8Array(12), 2, 2, 3).tiff().toBuffer(),
      "UNSUPPORTED_FORMAT",
      /49 49 2a 00/,
    ));

  it("SVG -> UNSUPPORTED_FORMAT (never handed to a decoder)", () =>
    expectInputError(
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      "UNSUPPORTED_FORMAT",
      /not recognised/,
    ));

  it("PNG signature only -> CORRUPT_IMAGE", () =>
    expectInputError(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      "CORRUPT_IMAGE",
      /PNG data/,
    ));

  it("truncated PNG -> CORRUPT_IMAGE", async () => {
    const png = await smallPng();
    await expectInputError(
      png.subarray(0, png.length >> 1),
      "CORRUPT_IMAGE",
      /PNG data is corrupt or truncated/,
    );
  });

  it("truncated JPEG -> CORRUPT_IMAGE", async () => {
    const jpeg = await smallJpeg();
    await expectInputError(
      jpeg.subarray(0, jpeg.length >> 1),
      "CORRUPT_IMAGE",
      /JPEG data is corrupt or truncated/,
    );
  });

  it("PNG with a damaged chunk -> CORRUPT_IMAGE", async () => {
    const png = Buffer.from(await smallPng());
    for (let i = 40; i < 60; i++) png[i]! ^= 0xff;
    await expectInputError(png, "CORRUPT_IMAGE", /corrupt/);
  });

  it("PNG header claiming 100000x100000 -> TOO_MANY_PIXELS before any decoding", () =>
    expectInputError(pngHeaderOnly(100_000, 100_000), "TOO_MANY_PIXELS", /100000x100000.*40\.0 MP limit/));

  it("JPEG header claiming 65000x65000 -> TOO_MANY_PIXELS", async () =>
    expectInputError(patchJpegSize(await smallJpeg(), 65_000, 65_000), "TOO_MANY_PIXELS", /65000x65000/));

  it("more pixels than a custom maxPixels -> TOO_MANY_PIXELS naming the limit", async () =>
    expectInputError(smallPng(), "TOO_MANY_PIXELS", /64x64.*maxPixels/, { maxPixels: 4095 }));

  it("PNG header with width 0 -> ZERO_DIMENSION", () =>
    expectInputError(pngHeaderOnly(0, 10), "ZERO_DIMENSION", /0x10 pixels/));

  it("1 x 2000 -> IMAGE_TOO_THIN", async () =>
    expectInputError(
      rawInput(new Uint8Array(2000 * 3), 2000, 1, 3)
        .png()
        .toBuffer(),
      "IMAGE_TOO_THIN",
      /2000x1/,
    ));

  it("animated WebP -> ANIMATED_IMAGE", async () =>
    expectInputError(
      sharp(await frames(), { join: { animated: true } })
        .webp()
        .toBuffer(),
      "ANIMATED_IMAGE",
      /animated WebP with 2 frames/,
    ));

  it("animated GIF -> ANIMATED_IMAGE", async () =>
    expectInputError(
      sharp(await frames(), { join: { animated: true } })
        .gif()
        .toBuffer(),
      "ANIMATED_IMAGE",
      /animated GIF with 2 frames/,
    ));

  it("over the byte limit -> INPUT_TOO_LARGE naming the limit", async () =>
    expectInputError(smallPng(), "INPUT_TOO_LARGE", /over the 1000 bytes limit \(maxBytes\)/, {
      maxBytes: 1000,
    }));

  it("over the default 20 MiB -> INPUT_TOO_LARGE", () =>
    expectInputError(
      new Uint8Array(20 * 1024 * 1024 + 1),
      "INPUT_TOO_LARGE",
      /20\.0 MiB, over the 20\.0 MiB limit/,
    ));

  it("rejects nonsense limits as a programming error", async () => {
    await expect(decodeImage(new Uint8Array(1), { maxPixels: 0 })).rejects.toThrow(RangeError);
  });
});

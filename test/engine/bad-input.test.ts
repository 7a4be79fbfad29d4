/**
 * Bad input gets a clear error — an EngineError "invalid_argument" whose message names the
 * problem and the limit — and no crash; the engine keeps serving afterwards.
 */
import { EngineError, PixelLMEngine } from "@pixellm/engine";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STACK_FRAME, pixellm } from "../support/cli";
import { shapesImage } from "../support/images";
import { makeTinyBundle, tempDir } from "../support/tiny-bundle";
import { writeFile } from "node:fs/promises";
import path from "node:path";

let engine: PixelLMEngine;
let bundleDir: string;
let good: Uint8Array;

beforeAll(async () => {
  const tiny = await makeTinyBundle();
  bundleDir = tiny.bundleDir;
  engine = await PixelLMEngine.load(bundleDir, {
    decodeLimits: { maxBytes: 2 * 2 ** 20 },
    queryLimits: { maxQueryChars: 500 },
  });
  good = await shapesImage(120, 90);
}, 120_000);

afterAll(async () => {
  await engine?.close();
});

function pngHeader(width: number, height: number): Uint8Array {
  const png = Buffer.from(good);
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  return png;
}

const imageCases: [string, () => Promise<Uint8Array> | Uint8Array, RegExp][] = [
  ["an empty file", () => new Uint8Array(0), /empty/i],
  ["three random bytes", () => Uint8Array.of(1, 2, 3), /format|recogni/i],
  [
    "wrong magic bytes",
    () => Buffer.concat([Buffer.from("GIF89a"), Buffer.from(good).subarray(6)]),
    /corrupt|truncated|cannot|format/i,
  ],
  ["a text file", () => Buffer.from("hello, this is not an image at all\n".repeat(10)), /format|recogni/i],
  ["a truncated PNG", () => Buffer.from(good).subarray(0, good.length - 40), /truncated|corrupt/i],
  [
    "a truncated JPEG",
    async () => (await shapesImage(200, 150, "jpeg")).subarray(0, 300),
    /truncated|corrupt/i,
  ],
  ["a header claiming 100000×100000 pixels", () => pngHeader(100_000, 100_000), /pixels|too large|limit/i],
  [
    "a 1×2000 sliver",
    () =>
      sharp({ create: { width: 1, height: 2000, channels: 3, background: "#888" } })
        .png()
        .toBuffer(),
    /thin|shorter side/i,
  ],
  ["more bytes than the limit", () => Buffer.alloc(3 * 2 ** 20, 7), /bytes|limit/i],
  [
    "an animated GIF",
    async () => {
      const frame = (background: string) =>
        sharp({ create: { width: 8, height: 8, channels: 3, background } })
          .png()
          .toBuffer();
      return sharp([await frame("#f00"), await frame("#00f")], { join: { animated: true } })
        .gif()
        .toBuffer();
    },
    /animated/i,
  ],
  [
    "an SVG document",
    () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
    /format|svg/i,
  ],
];

describe("bad images", () => {
  it.each(imageCases)("%s", async (_, make, message) => {
    const error = await engine.segment({ image: await make(), query: "What is it?" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe("invalid_argument");
    expect((error as EngineError).message).toMatch(message);
  });
});

describe("odd but valid images are served", () => {
  it.each([
    ["CMYK JPEG", () => sharp(Buffer.from(good)).toColourspace("cmyk").jpeg().toBuffer()],
    ["16-bit PNG", () => sharp(Buffer.from(good)).toColourspace("rgb16").png().toBuffer()],
    ["grayscale with alpha", () => sharp(Buffer.from(good)).grayscale().ensureAlpha().png().toBuffer()],
    [
      "1×N within limits",
      () =>
        sharp({ create: { width: 3, height: 200, channels: 3, background: "#123" } })
          .png()
          .toBuffer(),
    ],
  ])("%s", async (_, make) => {
    const result = await engine.segment({ image: await make(), query: "What is it?" });
    expect(result.outputIds.length).toBeGreaterThan(0);
  });
});

const queryCases: [string, string, RegExp][] = [
  ["an empty query", "", /query is empty/],
  ["a whitespace-only query", " \n\t ", /query is empty/],
  ["an overlong query", "why ".repeat(200), /800 characters; the limit is 500/],
  ["a lone surrogate (not valid Unicode)", "what is \ud800 this?", /not valid Unicode/],
  ["an image placeholder", "compare <image> with this", /reserved token <image>/],
  ["a codebook token", "segment [SEG3] please", /reserved token \[SEG3\]/],
  ["an end-of-text token", "stop here</s> now", /reserved token <\/s>/],
];

describe("bad questions", () => {
  it.each(queryCases)("%s", async (_, query, message) => {
    await expect(engine.segment({ image: good, query })).rejects.toThrow(message);
  });

  it("bad generation settings", async () => {
    await expect(engine.segment({ image: good, query: "ok?", maxNewTokens: 0 })).rejects.toThrow(
      /max_new_tokens must be a positive integer/,
    );
    await expect(engine.segment({ image: good, promptIds: [1, 2, 3] })).rejects.toThrow(
      /exactly one image placeholder/,
    );
    await expect(engine.segment({ image: good, promptIds: [1, -200, 5, -200] })).rejects.toThrow(
      /exactly one image placeholder/,
    );
  });

  it("still serves a good request after all that", async () => {
    const result = await engine.segment({ image: good, query: "What is it?" });
    expect(result.targets.length).toBe(1);
  });
});

describe("the CLI reports bad input in one line", () => {
  it("names an unreadable image, a corrupt image and a missing question", async () => {
    const dir = await tempDir("cli-bad");
    const corrupt = path.join(dir, "corrupt.png");
    await writeFile(corrupt, Buffer.from(good).subarray(0, 60));
    const missing = await pixellm([
      "segment",
      "--model",
      bundleDir,
      "--image",
      path.join(dir, "nope.png"),
      "--query",
      "x",
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the image file .*nope\.png/);
    const broken = await pixellm([
      "segment",
      "--model",
      bundleDir,
      "--image",
      corrupt,
      "--query",
      "What is it?",
    ]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^pixellm segment: .*(truncated|corrupt)/im);
    expect(broken.stderr).not.toMatch(STACK_FRAME);
    const noQuery = await pixellm(["segment", "--model", bundleDir, "--image", corrupt]);
    expect(noQuery.code).toBe(2);
    expect(noQuery.stderr).toMatch(/needs --query TEXT or --prompt-ids IDS/);
  });
});

/**
 * Property-based fuzzing of image decoding as the gateway runs it: the bytes go to the
 * gateway's image worker thread (ImageWorkers → image-worker-entry → decodeImage + resize),
 * exactly as admission sends them. Random bytes, bytes behind each accepted magic number,
 * truncated and mutated valid PNG/JPEG/WebP/GIF files, and headers that declare huge
 * dimensions in a tiny file either decode to an image within the pixel limit (resized so its
 * longer side is the canvas) or fail with an invalid_argument EngineError — never another error,
 * a crashed worker or a hang.
 *
 * The pixel limit is set to 64×64 here (the gateway passes its configured limit the same way), so
 * every header over it must be refused before a pixel is decoded, and 10,000 inputs fit in CI.
 */
import fc from "fast-check";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineError } from "@pixellm/errors";
import { ImageWorkers } from "../../services/gateway/src/image-workers";
import { FUZZ_RUNS, fuzzParameters } from "./fuzz-settings";

const MAX_PIXELS = 64 * 64;
const CANVAS = 448;
/** Per input: decoding a 64×64 image takes milliseconds; a hang shows up as a failed property. */
const PER_INPUT_TIMEOUT_MS = 5_000;

let images: ImageWorkers;
let seeds: Buffer[];

beforeAll(async () => {
  images = await ImageWorkers.start(1, { maxDecodes: 1, maxWaiting: 64 });
  const picture = (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } }).composite([
      {
        input: {
          create: {
            width: Math.ceil(width / 2),
            height: Math.ceil(height / 2),
            channels: 4,
            background: "#1d4e89",
          },
        },
        top: 0,
        left: 0,
      },
    ]);
  seeds = await Promise.all([
    picture(24, 16).png().toBuffer(),
    picture(17, 31).jpeg().toBuffer(),
    picture(20, 20).webp().toBuffer(),
    picture(20, 20).webp({ lossless: true }).toBuffer(),
    picture(12, 9).gif().toBuffer(),
    picture(40, 30).png({ palette: true }).toBuffer(),
  ]);
});

afterAll(async () => {
  await images?.close();
});

const MAGIC = [
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  [0xff, 0xd8, 0xff],
  [...Buffer.from("RIFF\0\0\0\0WEBP")],
  [...Buffer.from("GIF89a")],
];

/** Writes huge dimensions where each format's header keeps them (the file stays tiny). */
function declareSize(file: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(file);
  if (out[0] === 0x89 && out.length >= 24) {
    out.writeUInt32BE(width >>> 0, 16);
    out.writeUInt32BE(height >>> 0, 20);
  } else if (out[0] === 0xff) {
    // SOF0/SOF2: marker, length (2), precision (1), height (2), width (2).
    for (let i = 2; i + 9 < out.length; i++)
      if (out[i] === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2)) {
        out.writeUInt16BE(height & 0xffff, i + 5);
        out.writeUInt16BE(width & 0xffff, i + 7);
        break;
      }
  } else if (out.toString("latin1", 0, 4) === "RIFF" && out.length >= 30) {
    // Lossy VP8: 14-bit width and height after the frame tag and start code.
    out.writeUInt16LE(width & 0x3fff, 26);
    out.writeUInt16LE(height & 0x3fff, 28);
  } else if (out.toString("latin1", 0, 3) === "GIF" && out.length >= 10) {
    out.writeUInt16LE(width & 0xffff, 6);
    out.writeUInt16LE(height & 0xffff, 8);
  }
  return out;
}

type Mutation =
  | { kind: "flip"; at: number; value: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "declare"; width: number; height: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Headers are near the start: most flips land in the first 64 bytes.
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat({ max: 63 }), value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({
    kind: fc.constant("declare" as const),
    width: fc.oneof(
      fc.integer({ min: 0, max: 200 }),
      fc.constantFrom(65_535, 16_383, 100_000, 2 ** 31, 2 ** 32 - 1),
    ),
    height: fc.oneof(
      fc.integer({ min: 0, max: 200 }),
      fc.constantFrom(65_535, 16_383, 100_000, 2 ** 31, 2 ** 32 - 1),
    ),
  }),
);

function mutate(file: Buffer, m: Mutation): Buffer {
  if (file.length === 0) return file;
  switch (m.kind) {
    case "flip": {
      const out = Buffer.from(file);
      out[m.at % out.length] = m.value;
      return out;
    }
    case "truncate":
      return file.subarray(0, m.at % file.length);
    case "insert": {
      const at = m.at % file.length;
      return Buffer.concat([file.subarray(0, at), m.bytes, file.subarray(at)]);
    }
    case "declare":
      return declareSize(file, m.width, m.height);
  }
}

const imageBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc
    .tuple(fc.constantFrom(...MAGIC), fc.uint8Array({ maxLength: 64 }))
    .map(([magic, rest]) => Uint8Array.from([...magic, ...rest])),
  fc
    .tuple(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([which, mutations]) => mutations.reduce(mutate, seeds[which % seeds.length]!)),
);

describe("image decoding fuzzing", () => {
  it(`the gateway's image worker decodes within the pixel limit or refuses with invalid_argument (${FUZZ_RUNS} inputs)`, async () => {
    const outcomes = { decoded: 0, refused: 0 };
    const reasons = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(imageBytes, async (bytes) => {
        let decoded;
        try {
          decoded = await images.decode(bytes, { maxPixels: MAX_PIXELS }, CANVAS);
        } catch (error) {
          expect(error).toBeInstanceOf(EngineError);
          expect((error as EngineError).code).toBe("invalid_argument");
          const reason = (error as Error).message
            .split(/[ (:;]/)
            .slice(0, 3)
            .join(" ");
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
          outcomes.refused++;
          return;
        }
        outcomes.decoded++;
        const [height, width] = decoded.original;
        expect(height * width).toBeLessThanOrEqual(MAX_PIXELS);
        expect(Math.max(decoded.resized.height, decoded.resized.width)).toBe(CANVAS);
        expect(decoded.resized.data.byteLength).toBe(decoded.resized.height * decoded.resized.width * 3);
      }),
      fuzzParameters("image decoding", { timeout: PER_INPUT_TIMEOUT_MS }),
    );
    console.log(
      `image decoding: ${outcomes.decoded} decoded, ${outcomes.refused} refused; most common refusals:`,
      [...reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8),
    );
    expect(outcomes.decoded).toBeGreaterThan(FUZZ_RUNS / 50);
    expect(outcomes.refused).toBeGreaterThan(FUZZ_RUNS / 2);
  }, 240_000);
});

/**
 * Property-based fuzzing of request decoding, server side, through the same code the servers
 * run: the protobuf deserializer grpc-js calls (the @pixellm/api package definition), then the
 * gateway's admission (Segment, SubmitJob) or the stage's protocol checks (Encode, Generate,
 * Decode). Inputs are arbitrary bytes and valid-shaped requests with arbitrary field values
 * (unknown enum numbers, negative/huge/mismatched shapes, out-of-vocabulary ids, NaN options…),
 * serialized and then byte-mutated. For every input:
 * - the deserializer either returns a message or throws an Error, which grpc-js answers with a
 *   status (INTERNAL "Error deserializing request"; the hostile suite checks that on a server);
 * - validation either accepts the message or throws a typed error (EngineError,
 *   TensorCodecError or a gRPC status error) — never a TypeError/RangeError, never a hang
 *   (each input has PER_INPUT_TIMEOUT_MS).
 */
import fc from "fast-check";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TensorCodecError, isServiceError, packageDefinition } from "@pixellm/api";
import { type BundleManifest, loadBundle } from "@pixellm/bundle";
import { modelDims } from "@pixellm/engine";
import { EngineError } from "@pixellm/errors";
import { gatewayConfig } from "@pixellm/gateway";
import { decodeGenerateRequest } from "@pixellm/llm/protocol";
import { decodeDecodeRequest } from "@pixellm/pixel-decoder/protocol";
import { reservedTokens } from "@pixellm/pipeline";
import { loadTokenizer } from "@pixellm/tokenizer";
import { decodeEncodeRequest, visionDims } from "@pixellm/vision-encoder/protocol";
import { Admission } from "../../services/gateway/src/admission";
import { ImageWorkers } from "../../services/gateway/src/image-workers";
import { makeTinyBundle } from "../support/tiny-bundle";
import { FUZZ_RUNS, fuzzParameters } from "./fuzz-settings";

const PER_INPUT_TIMEOUT_MS = 5_000;

interface MethodCodec {
  requestSerialize(value: object): Buffer;
  requestDeserialize(bytes: Buffer): unknown;
}

function method(service: string, name: string): MethodCodec {
  return (packageDefinition()[`pixellm.v1.${service}`] as unknown as Record<string, MethodCodec>)[name]!;
}

let manifest: BundleManifest;
let admission: Admission;
let images: ImageWorkers;
let goodPng: Buffer;

beforeAll(async () => {
  const tiny = await makeTinyBundle();
  manifest = (await loadBundle(tiny.bundleDir, "size")).manifest;
  const config = gatewayConfig({
    PIXELLM_BUNDLE: tiny.bundleDir,
    GATEWAY_MODE: "embedded",
    // Small enough that a fuzzed image over it is refused at its header, as in production.
    GATEWAY_MAX_IMAGE_PIXELS: String(64 * 64),
  });
  images = await ImageWorkers.start(1, { maxDecodes: 1, maxWaiting: 64 });
  admission = new Admission(config, manifest, await loadTokenizer(tiny.bundleDir), images);
  goodPng = await sharp({ create: { width: 24, height: 16, channels: 3, background: "#c82850" } })
    .png()
    .toBuffer();
}, 120_000);

afterAll(async () => {
  await images?.close();
});

/** Typed errors: what the servers' handlers turn into the right status (packages/api/src/status.ts). */
function expectTyped(error: unknown): void {
  const typed = error instanceof EngineError || error instanceof TensorCodecError || isServiceError(error);
  expect(typed, `untyped ${String((error as Error)?.stack ?? error)}`).toBe(true);
}

// ---- field values -------------------------------------------------------------------------

const int32 = fc.oneof(
  fc.integer({ min: -3, max: 600 }),
  fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 0, 1, 4096, 65_536),
);
const int64 = fc.oneof(
  fc.integer({ min: -3, max: 40_000 }),
  fc.constantFrom(-(2 ** 53) + 1, 2 ** 53 - 1, -1, 2 ** 31, 2 ** 40),
);
const float = fc.oneof(
  fc.double({ min: -2, max: 200, noNaN: true }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, 1, 1e-45, 3.4e38),
);
/** Enum names, and numbers the .proto does not define (they arrive as numbers). */
const dtype = fc.oneof(
  fc.constantFrom(
    "DTYPE_UNSPECIFIED",
    "DTYPE_FLOAT32",
    "DTYPE_FLOAT16",
    "DTYPE_BFLOAT16",
    "DTYPE_INT64",
    "DTYPE_INT32",
    "DTYPE_UINT8",
    "DTYPE_BOOL",
  ),
  fc.integer({ min: 8, max: 1000 }),
);
const shape = fc.array(fc.oneof(fc.integer({ min: 0, max: 8 }), int64), { maxLength: 5 });
const data = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.nat({ max: 4096 }).map((n) => new Uint8Array(n)),
);
const anyTensor = fc.record(
  { dtype, shape, data, crc32c: fc.constantFrom(0, 1, 0xffffffff) },
  { requiredKeys: [] },
);

/** A tensor of exactly the given dtype and shape (zero-filled), or, sometimes, any tensor or none. */
function tensorLike(
  wire: string,
  dims: readonly number[],
  values?: fc.Arbitrary<number>,
): fc.Arbitrary<object | undefined> {
  const length = dims.reduce((a, b) => a * b, 1) * (wire === "DTYPE_FLOAT32" ? 4 : 1);
  const exact = (values ? fc.array(values, { minLength: length, maxLength: length }) : fc.constant(null)).map(
    (filled) => ({
      dtype: wire,
      shape: [...dims],
      data: filled ? Uint8Array.from(filled) : new Uint8Array(length),
    }),
  );
  return fc.oneof(
    { weight: 3, arbitrary: exact },
    { weight: 1, arbitrary: anyTensor },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const imageSize = fc.option(fc.record({ height: int32, width: int32 }, { requiredKeys: [] }));

// ---- mutation of the encoded bytes ----------------------------------------------------------

type ByteMutation = { at: number; kind: "flip" | "truncate" | "insert"; value: number };
const byteMutations = fc.oneof(
  { weight: 2, arbitrary: fc.constant([] as ByteMutation[]) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.record({
        at: fc.nat(),
        kind: fc.constantFrom("flip", "truncate", "insert"),
        value: fc.nat({ max: 255 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  },
);

function mutate(bytes: Buffer, mutations: readonly ByteMutation[]): Buffer {
  return mutations.reduce((b, m) => {
    if (b.length === 0) return b;
    // Most structure is in the first bytes; large tensors would otherwise soak up the mutations.
    const at = m.at % Math.min(b.length, m.at % 2 ? b.length : 96);
    if (m.kind === "truncate") return b.subarray(0, at);
    if (m.kind === "insert") return Buffer.concat([b.subarray(0, at), Buffer.of(m.value), b.subarray(at)]);
    const out = Buffer.from(b);
    out[at] = m.value;
    return out;
  }, bytes);
}

/** Arbitrary bytes, or a request from `fields` serialized by the method's own serializer and mutated. */
function wireBytes(codec: MethodCodec, fields: fc.Arbitrary<object>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 128 }).map((b) => Buffer.from(b)) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fields, byteMutations)
        .map(([message, mutations]) => mutate(codec.requestSerialize(message), mutations)),
    },
  );
}

interface Outcome {
  unparsable: number;
  refused: number;
  accepted: number;
}

/** Runs the property: deserialize as grpc-js does, then validate as the server does. */
async function fuzzMethod(
  target: string,
  codec: MethodCodec,
  fields: fc.Arbitrary<object>,
  validate: (message: never) => unknown,
): Promise<Outcome> {
  const outcome: Outcome = { unparsable: 0, refused: 0, accepted: 0 };
  await fc.assert(
    fc.asyncProperty(wireBytes(codec, fields), async (bytes) => {
      let message: unknown;
      try {
        message = codec.requestDeserialize(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
        outcome.unparsable++;
        return;
      }
      try {
        await validate(message as never);
        outcome.accepted++;
      } catch (error) {
        expectTyped(error);
        outcome.refused++;
      }
    }),
    fuzzParameters(target, { timeout: PER_INPUT_TIMEOUT_MS }),
  );
  console.log(`${target}:`, outcome);
  return outcome;
}

// ---- the requests ---------------------------------------------------------------------------

function segmentRequest(): fc.Arbitrary<object> {
  const vocab = manifest.config.vocab_size;
  const query = fc.oneof(
    fc.constantFrom("Segment the ball.", "What is in the image?", "Where is the box?"),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 20 }),
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.constantFrom(...reservedTokens(manifest.tokens.codebookNames)).map((t) => `Segment ${t} please`),
    fc.nat({ max: 9000 }).map((n) => "x".repeat(n)),
  );
  const image = fc.oneof(
    { weight: 3, arbitrary: fc.constant(goodPng) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 48 }) },
    { weight: 1, arbitrary: fc.nat({ max: goodPng.length }).map((n) => goodPng.subarray(0, n)) },
  );
  return fc.record(
    {
      image,
      query,
      maxNewTokens: fc.oneof(fc.integer({ min: 0, max: 8 }), int32),
      sampling: fc.record({ temperature: float, topP: float, seed: fc.nat() }, { requiredKeys: [] }),
      priority: fc.oneof(fc.integer({ min: 0, max: 9 }), int32),
      answerIds: fc.array(fc.oneof(fc.integer({ min: 0, max: vocab - 1 }), int64), { maxLength: 6 }),
    },
    { requiredKeys: [] },
  );
}

describe("request decoding fuzzing", () => {
  it(`PixelLM.Segment: deserializer, then admission (${FUZZ_RUNS} inputs)`, async () => {
    const outcome = await fuzzMethod(
      "request decoding: Segment",
      method("PixelLM", "Segment"),
      segmentRequest(),
      (m) => admission.admit(m),
    );
    expect(outcome.accepted, "the generator never reaches a valid request").toBeGreaterThan(FUZZ_RUNS / 100);
    expect(outcome.refused).toBeGreaterThan(FUZZ_RUNS / 10);
  }, 300_000);

  it(`PixelLM.SubmitJob: deserializer, then admission of its request (${FUZZ_RUNS} inputs)`, async () => {
    const fields = fc.record(
      { request: segmentRequest(), idempotencyKey: fc.string({ maxLength: 16 }), deadlineUnixMs: int64 },
      { requiredKeys: [] },
    );
    const outcome = await fuzzMethod(
      "request decoding: SubmitJob",
      method("PixelLM", "SubmitJob"),
      fields,
      (m: { request: Parameters<Admission["admit"]>[0] | null }) => {
        // As the handler does: a missing request is refused before admission.
        if (!m.request) throw new EngineError("invalid_argument", "request is required");
        return admission.admit(m.request);
      },
    );
    expect(outcome.accepted).toBeGreaterThan(FUZZ_RUNS / 100);
  }, 300_000);

  it(`VisionEncoder.Encode: deserializer, then the stage's protocol checks (${FUZZ_RUNS} inputs)`, async () => {
    const dims = visionDims(manifest);
    const fields = fc
      .record({ h: fc.integer({ min: 1, max: 6 }), w: fc.integer({ min: 1, max: 6 }) })
      .chain(({ h, w }) =>
        fc.record(
          {
            requestId: fc.string({ maxLength: 12 }),
            resized: fc.oneof(fc.constant({ height: h, width: w }), imageSize),
            resizedRgb: tensorLike("DTYPE_UINT8", [h, w, 3]),
            pixelValues: fc.oneof(fc.constant(undefined), anyTensor),
          },
          { requiredKeys: [] },
        ),
      );
    const outcome = await fuzzMethod(
      "request decoding: Encode",
      method("VisionEncoder", "Encode"),
      fields,
      (m) => decodeEncodeRequest(m, dims),
    );
    expect(outcome.accepted).toBeGreaterThan(FUZZ_RUNS / 100);
  }, 300_000);

  it(`LLMGenerator.Generate: deserializer, then the stage's protocol checks (${FUZZ_RUNS} inputs)`, async () => {
    const dims = modelDims(manifest);
    const id = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: dims.vocab - 1 }) },
      { weight: 1, arbitrary: fc.constant(dims.imageTokenIndex) },
      { weight: 1, arbitrary: int64 },
    );
    const fields = fc.record(
      {
        requestId: fc.string({ maxLength: 12 }),
        promptIds: fc.oneof(
          fc.array(id, { maxLength: 8 }).map((ids) => [...ids, dims.imageTokenIndex]),
          fc.array(id, { maxLength: 8 }),
        ),
        imageEmbeds: tensorLike("DTYPE_FLOAT32", [dims.imageTokens, dims.hidden]),
        imageMask: tensorLike(
          "DTYPE_UINT8",
          [dims.imageTokens],
          // Mostly 0 and 1, so that about a quarter of the masks pass and the rest hold a stray value.
          fc.oneof(
            { weight: 199, arbitrary: fc.constantFrom(0, 1) },
            { weight: 1, arbitrary: fc.integer({ min: 2, max: 255 }) },
          ),
        ),
        maxNewTokens: int32,
        answerIds: fc.array(id, { maxLength: 6 }),
        sampling: fc.record({ temperature: float, topP: float, seed: fc.nat() }, { requiredKeys: [] }),
        ignoreEos: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    const outcome = await fuzzMethod(
      "request decoding: Generate",
      method("LLMGenerator", "Generate"),
      fields,
      (m) => decodeGenerateRequest(m, dims),
    );
    expect(outcome.accepted).toBeGreaterThan(FUZZ_RUNS / 200);
  }, 300_000);

  it(`PixelDecoder.Decode: deserializer, then the stage's protocol checks (${FUZZ_RUNS} inputs)`, async () => {
    const H = manifest.config.hidden_size;
    const D = manifest.config.out_dim;
    const grid = manifest.geometry.patchGrid;
    const fields = fc.nat({ max: 3 }).chain((n) =>
      fc.record(
        {
          requestId: fc.string({ maxLength: 12 }),
          codebookHidden: tensorLike("DTYPE_FLOAT32", [n, H]),
          decoderFeatures: tensorLike("DTYPE_FLOAT32", [2, D, grid, grid]),
          resized: fc.oneof(fc.constant({ height: 448, width: 336 }), imageSize),
          original: fc.oneof(fc.constant({ height: 480, width: 360 }), imageSize),
          includeLowRes: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
    );
    const outcome = await fuzzMethod(
      "request decoding: Decode",
      method("PixelDecoder", "Decode"),
      fields,
      (m) => decodeDecodeRequest(m, manifest),
    );
    expect(outcome.accepted).toBeGreaterThan(FUZZ_RUNS / 200);
  }, 300_000);
});

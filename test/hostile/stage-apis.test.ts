/**
 * The hostile-input suite against the stage APIs: one vision-encoder, one llm and one
 * pixel-decoder as processes (the launcher, compiled as deployed), each attacked case by case
 * from the table below; after each case a valid request to the same stage must succeed. The
 * valid requests are a real chain: a PNG resized as the gateway does → Encode → Generate (from
 * the vision output) → Decode (from both). Harness, bounds and how to add a case: ./harness.ts.
 *
 * Bounds: DEFAULT_TIME_MS (3 s) per case unless the case says otherwise; peak RSS of the stage
 * during a case under STAGE_RSS_MB.
 *
 * Sizes (docs/limits.md): each method's byte limit is sized from the bundle
 * (`stageRequestLimits`) and checked on the wire before decoding (RESOURCE_EXHAUSTED); id lists
 * are capped at the model's positions and tensor shapes at 8 dimensions (INVALID_ARGUMENT);
 * undecodable bytes are INVALID_ARGUMENT.
 */
import { status } from "@grpc/grpc-js";
import {
  type DecodeRequest,
  type EncodeRequest,
  type EncodeResponse__Output,
  type GenerateRequest,
  type GenerateResponse__Output,
  type Tensor,
} from "@pixellm/api";
import { loadBundle } from "@pixellm/bundle";
import { modelDims } from "@pixellm/engine";
import { decodeImage, resizeForClip } from "@pixellm/image";
import { LocalDeployment } from "@pixellm/launcher";
import { decodeGenerationDone, encodeGenerateRequest } from "@pixellm/llm/protocol";
import { encodeDecodeRequest } from "@pixellm/pixel-decoder/protocol";
import { promptIdsForQuery } from "@pixellm/pipeline";
import { stageRequestLimits } from "@pixellm/service-kit";
import { loadTokenizer } from "@pixellm/tokenizer";
import { decodeEncodeResponse, encodeEncodeRequest, visionDims } from "@pixellm/vision-encoder/protocol";
import { afterAll, beforeAll } from "vitest";
import { REDIS_URL } from "../support/deployment";
import { shapesImage } from "../support/images";
import { makeTinyBundle, tempDir } from "../support/tiny-bundle";
import {
  type CallOptions,
  HostileChannel,
  type ServiceName,
  lengthDelimitedField,
  serializeRequest,
} from "./grpc-calls";
import {
  type HostileCase,
  type HostileEnvironment,
  type HostileTarget,
  describeHostileCases,
} from "./harness";

const STAGE_RSS_MB = 768;
/** An unknown field number: what pads a valid request to a given size (unknown fields are skipped). */
const PADDING_FIELD = 100;

interface StageApi {
  encode(request: object): Promise<unknown>;
  generate(request: object): Promise<unknown>;
  decode(request: object): Promise<unknown>;
  /** Bytes as they are to a unary stage method, e.g. ("VisionEncoder", "Encode"). */
  raw(service: ServiceName, method: string, bytes: Buffer): Promise<unknown>;
  /** Bytes as they are to Generate (server-streaming). */
  rawGenerate(bytes: Buffer): Promise<unknown>;
}

let deployment: LocalDeployment;
const channels = new Map<ServiceName, HostileChannel>();
/** Valid requests of the three stages, made by the chain in beforeAll. */
const valid = {
  encode: {} as EncodeRequest,
  generate: {} as GenerateRequest,
  decode: {} as DecodeRequest,
  vocab: 0,
  imageTokenIndex: 0,
  /** The model's max_position_embeddings: the cap on prompt_ids and answer_ids. */
  positions: 0,
  /** Each method's byte limit (stageRequestLimits, as the stages compute it). */
  maxBytes: { Encode: 0, Generate: 0, Decode: 0 },
};

/** A stage's valid request padded with an unknown field to exactly `total` bytes on the wire. */
function paddedTo(service: ServiceName, method: "Encode" | "Generate" | "Decode", total: number): Buffer {
  const request = serializeRequest(service, method, valid[method.toLowerCase() as "encode"]);
  // The field's header (tag and length varint) takes a few bytes: shrink the payload until it fits.
  for (let payload = total - request.byteLength; payload >= 0; payload--) {
    const field = lengthDelimitedField(PADDING_FIELD, Buffer.alloc(payload));
    if (request.byteLength + field.byteLength === total) return Buffer.concat([request, field]);
  }
  throw new Error(`cannot pad a ${method} request of ${request.byteLength} bytes to ${total}`);
}

/** `count` ids of value 1 (one byte each), packed. */
const ids = (count: number) => Array.from({ length: count }, () => 1);

/** A tensor of a valid request with some fields changed. */
function tensor(base: Tensor | null | undefined, overrides: Partial<Tensor>): Tensor {
  return { ...base!, ...overrides };
}

function shorter(base: Tensor | null | undefined, by: number): Tensor {
  const data = base!.data as Uint8Array;
  return { ...base!, data: data.subarray(0, data.byteLength - by) };
}

const encode = (overrides: Partial<EncodeRequest>) => ({ ...valid.encode, ...overrides });
const generate = (overrides: Partial<GenerateRequest>) => ({ ...valid.generate, ...overrides });
const decode = (overrides: Partial<DecodeRequest>) => ({ ...valid.decode, ...overrides });

const cases: HostileCase<StageApi>[] = [
  // --- VisionEncoder.Encode ---
  {
    name: "Encode: resized_rgb as float32",
    target: "vision",
    send: (api) =>
      api.encode(encode({ resizedRgb: tensor(valid.encode.resizedRgb, { dtype: "DTYPE_FLOAT32" }) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: unknown dtype enum value 42",
    target: "vision",
    send: (api) =>
      api.encode(
        encode({ resizedRgb: tensor(valid.encode.resizedRgb, { dtype: 42 as unknown as Tensor["dtype"] }) }),
      ),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: shape disagrees with resized",
    target: "vision",
    send: (api) => api.encode(encode({ resized: { height: 100, width: 448 } })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: rank 2 instead of [h,w,3]",
    target: "vision",
    send: (api) =>
      api.encode(encode({ resizedRgb: tensor(valid.encode.resizedRgb, { shape: [336, 448 * 3] }) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: 4 bytes short of its shape",
    target: "vision",
    send: (api) => api.encode(encode({ resizedRgb: shorter(valid.encode.resizedRgb, 4) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: huge declared shape, tiny data",
    target: "vision",
    send: (api) =>
      api.encode(
        encode({
          resized: { height: 2 ** 31 - 1, width: 2 ** 31 - 1 },
          resizedRgb: tensor(valid.encode.resizedRgb, {
            shape: [2 ** 31 - 1, 2 ** 31 - 1, 3],
            data: Buffer.alloc(12),
          }),
        }),
      ),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: negative resized size",
    target: "vision",
    send: (api) =>
      api.encode(
        encode({
          resized: { height: -336, width: 448 },
          resizedRgb: tensor(valid.encode.resizedRgb, { shape: [-336, 448, 3] }),
        }),
      ),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: resized missing",
    target: "vision",
    send: (api) => api.encode({ requestId: "r", resizedRgb: valid.encode.resizedRgb }),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: no image at all",
    target: "vision",
    send: (api) => api.encode({ requestId: "r", resized: valid.encode.resized }),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: pixel_values of the wrong shape",
    target: "vision",
    send: (api) =>
      api.encode({
        requestId: "r",
        resized: valid.encode.resized,
        pixelValues: { dtype: "DTYPE_FLOAT32", shape: [3, 8, 8], data: Buffer.alloc(3 * 8 * 8 * 4) },
      }),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: CRC-32C that does not match",
    target: "vision",
    send: (api) => api.encode(encode({ resizedRgb: tensor(valid.encode.resizedRgb, { crc32c: 12345 }) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: empty 0×0 image",
    target: "vision",
    send: (api) =>
      api.encode(
        encode({
          resized: { height: 0, width: 0 },
          resizedRgb: { dtype: "DTYPE_UINT8", shape: [0, 0, 3], data: Buffer.alloc(0) },
        }),
      ),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: 64 KB request id",
    target: "vision",
    send: (api) => api.encode(encode({ requestId: "r".repeat(65_536) })),
    expect: status.OK,
    timeMs: 20_000,
  },
  {
    name: "Encode: garbage bytes",
    target: "vision",
    send: (api) => api.raw("VisionEncoder", "Encode", Buffer.from([0x0f, 0xff, 0xff])),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Encode: valid message cut short",
    target: "vision",
    send: (api) =>
      api.raw(
        "VisionEncoder",
        "Encode",
        serializeRequest("VisionEncoder", "Encode", valid.encode).subarray(0, 64),
      ),
    expect: status.INVALID_ARGUMENT,
  },
  // --- LLMGenerator.Generate ---
  {
    name: "Generate: image_embeds of the wrong hidden size",
    target: "llm",
    send: (api) =>
      api.generate(
        generate({
          imageEmbeds: tensor(valid.generate.imageEmbeds, {
            shape: [256, 32],
            data: Buffer.alloc(256 * 32 * 4),
          }),
        }),
      ),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: image_embeds as int32",
    target: "llm",
    send: (api) =>
      api.generate(generate({ imageEmbeds: tensor(valid.generate.imageEmbeds, { dtype: "DTYPE_INT32" }) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: image_embeds 1 byte short",
    target: "llm",
    send: (api) => api.generate(generate({ imageEmbeds: shorter(valid.generate.imageEmbeds, 1) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: image_embeds missing",
    target: "llm",
    send: (api) => api.generate(generate({ imageEmbeds: null })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: image_mask holding a 2",
    target: "llm",
    send: (api) =>
      api.generate(generate({ imageMask: tensor(valid.generate.imageMask, { data: Buffer.alloc(256, 2) }) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: prompt without the image placeholder",
    target: "llm",
    send: (api) => api.generate(generate({ promptIds: [1, 2, 3] })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: prompt with two image placeholders",
    target: "llm",
    send: (api) => api.generate(generate({ promptIds: [1, valid.imageTokenIndex, valid.imageTokenIndex] })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: empty prompt",
    target: "llm",
    send: (api) => api.generate(generate({ promptIds: [] })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: prompt id equal to the vocabulary size",
    target: "llm",
    send: (api) => api.generate(generate({ promptIds: [valid.imageTokenIndex, valid.vocab] })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: negative answer id",
    target: "llm",
    send: (api) => api.generate(generate({ answerIds: [-5] })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: answer id 2^53-1",
    target: "llm",
    send: (api) => api.generate(generate({ answerIds: [2 ** 53 - 1] })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: request id with newlines and NULs",
    target: "llm",
    send: (api) => api.generate(generate({ requestId: "a\nb\u0000c\r\n{}" })),
    expect: status.OK,
    timeMs: 20_000,
  },
  {
    name: "Generate: max_new_tokens -1",
    target: "llm",
    send: (api) => api.generate(generate({ maxNewTokens: -1 })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: temperature NaN",
    target: "llm",
    send: (api) => api.generate(generate({ sampling: { temperature: Number.NaN, topP: 1, seed: 1 } })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: garbage bytes",
    target: "llm",
    send: (api) => api.rawGenerate(Buffer.from([0x12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80])),
    expect: status.INVALID_ARGUMENT,
  },
  // --- PixelDecoder.Decode ---
  {
    name: "Decode: codebook_hidden of the wrong hidden size",
    target: "decoder",
    send: (api) =>
      api.decode(
        decode({ codebookHidden: { dtype: "DTYPE_FLOAT32", shape: [1, 7], data: Buffer.alloc(28) } }),
      ),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Decode: decoder_features as float16",
    target: "decoder",
    send: (api) =>
      api.decode(
        decode({ decoderFeatures: tensor(valid.decode.decoderFeatures, { dtype: "DTYPE_FLOAT16" }) }),
      ),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Decode: decoder_features 4 bytes short",
    target: "decoder",
    send: (api) => api.decode(decode({ decoderFeatures: shorter(valid.decode.decoderFeatures, 4) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Decode: decoder_features missing",
    target: "decoder",
    send: (api) => api.decode(decode({ decoderFeatures: null })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Decode: codebook_hidden declaring 2^40 rows",
    target: "decoder",
    send: (api) =>
      api.decode(decode({ codebookHidden: tensor(valid.decode.codebookHidden, { shape: [2 ** 40, 64] }) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Decode: resized not the original's resize",
    target: "decoder",
    send: (api) => api.decode(decode({ resized: { height: 448, width: 448 } })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Decode: original 0×0",
    target: "decoder",
    send: (api) => api.decode(decode({ original: { height: 0, width: 0 } })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Decode: original 65535×65535 (over the pixel limit)",
    target: "decoder",
    send: (api) => api.decode(decode({ original: { height: 65_535, width: 65_535 } })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Decode: original missing",
    target: "decoder",
    send: (api) => api.decode(decode({ original: null })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Decode: empty batch (no targets) answers no masks",
    target: "decoder",
    send: (api) =>
      api.decode(
        decode({ codebookHidden: { dtype: "DTYPE_FLOAT32", shape: [0, 64], data: Buffer.alloc(0) } }),
      ),
    expect: status.OK,
  },
  {
    name: "Decode: codebook_hidden with unknown dtype enum value 99",
    target: "decoder",
    send: (api) =>
      api.decode(
        decode({
          codebookHidden: tensor(valid.decode.codebookHidden, { dtype: 99 as unknown as Tensor["dtype"] }),
        }),
      ),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Decode: empty request id",
    target: "decoder",
    send: (api) => api.decode(decode({ requestId: "" })),
    expect: status.OK,
  },
  {
    name: "Decode: garbage bytes",
    target: "decoder",
    send: (api) => api.raw("PixelDecoder", "Decode", Buffer.from([0x1a, 0x05, 0x08])),
    expect: status.INVALID_ARGUMENT,
  },
  // --- sizes and caps, every stage (docs/limits.md) ---
  {
    name: "Encode: one byte over its byte limit",
    target: "vision",
    send: (api) =>
      api.raw("VisionEncoder", "Encode", paddedTo("VisionEncoder", "Encode", valid.maxBytes.Encode + 1)),
    expect: status.RESOURCE_EXHAUSTED,
    details: /Encode request is \d+ bytes, over its \d+-byte limit/,
  },
  {
    name: "Encode: exactly its byte limit is served",
    target: "vision",
    send: (api) =>
      api.raw("VisionEncoder", "Encode", paddedTo("VisionEncoder", "Encode", valid.maxBytes.Encode)),
    expect: status.OK,
    timeMs: 20_000,
  },
  {
    name: "Encode: 70 MiB (over PIXELLM_MAX_MESSAGE_BYTES)",
    target: "vision",
    send: (api) =>
      api.raw("VisionEncoder", "Encode", lengthDelimitedField(PADDING_FIELD, Buffer.alloc(70 * 2 ** 20))),
    expect: status.RESOURCE_EXHAUSTED,
    details: /larger than max/,
  },
  {
    name: "Encode: resized_rgb shape of 9 dimensions",
    target: "vision",
    send: (api) =>
      api.encode(
        encode({ resizedRgb: tensor(valid.encode.resizedRgb, { shape: [1, 1, 1, 1, 1, 1, 1, 1, 3] }) }),
      ),
    expect: status.INVALID_ARGUMENT,
    details: /shape has more than 8 elements/,
  },
  {
    name: "Generate: one byte over its byte limit",
    target: "llm",
    send: (api) => api.rawGenerate(paddedTo("LLMGenerator", "Generate", valid.maxBytes.Generate + 1)),
    expect: status.RESOURCE_EXHAUSTED,
    details: /Generate request is \d+ bytes, over its \d+-byte limit/,
  },
  {
    name: "Generate: exactly its byte limit is served",
    target: "llm",
    send: (api) => api.rawGenerate(paddedTo("LLMGenerator", "Generate", valid.maxBytes.Generate)),
    expect: status.OK,
    timeMs: 20_000,
  },
  {
    name: "Generate: prompt_ids one over the positions cap",
    target: "llm",
    send: (api) => api.generate(generate({ promptIds: [valid.imageTokenIndex, ...ids(valid.positions)] })),
    expect: status.INVALID_ARGUMENT,
    details: /prompt_ids has more than \d+ elements/,
  },
  {
    name: "Generate: answer_ids one over the positions cap",
    target: "llm",
    send: (api) => api.generate(generate({ answerIds: ids(valid.positions + 1) })),
    expect: status.INVALID_ARGUMENT,
    details: /answer_ids has more than \d+ elements/,
  },
  {
    name: "Generate: 16 MB of packed prompt_ids",
    target: "llm",
    send: (api) =>
      api.rawGenerate(
        Buffer.concat([
          serializeRequest("LLMGenerator", "Generate", valid.generate),
          lengthDelimitedField(2, Buffer.alloc(16 * 2 ** 20, 1)),
        ]),
      ),
    expect: status.RESOURCE_EXHAUSTED,
    details: /over its \d+-byte limit/,
  },
  {
    // Under the field cap, over the context once the image's embeddings replace the placeholder.
    name: "Generate: prompt ids plus the image over the context",
    target: "llm",
    send: (api) =>
      api.generate(generate({ promptIds: [valid.imageTokenIndex, ...ids(valid.positions - 10)] })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Generate: image_embeds shape of 9 dimensions",
    target: "llm",
    send: (api) =>
      api.generate(
        generate({
          imageEmbeds: tensor(valid.generate.imageEmbeds, { shape: [1, 1, 1, 1, 1, 1, 1, 256, 64] }),
        }),
      ),
    expect: status.INVALID_ARGUMENT,
    details: /shape has more than 8 elements/,
  },
  {
    name: "Decode: one byte over its byte limit",
    target: "decoder",
    send: (api) =>
      api.raw("PixelDecoder", "Decode", paddedTo("PixelDecoder", "Decode", valid.maxBytes.Decode + 1)),
    expect: status.RESOURCE_EXHAUSTED,
    details: /Decode request is \d+ bytes, over its \d+-byte limit/,
  },
  {
    name: "Decode: exactly its byte limit is served",
    target: "decoder",
    send: (api) =>
      api.raw("PixelDecoder", "Decode", paddedTo("PixelDecoder", "Decode", valid.maxBytes.Decode)),
    expect: status.OK,
    timeMs: 20_000,
  },
  {
    name: "Decode: codebook_hidden shape of 9 dimensions",
    target: "decoder",
    send: (api) =>
      api.decode(
        decode({
          codebookHidden: tensor(valid.decode.codebookHidden, { shape: [1, 1, 1, 1, 1, 1, 1, 1, 64] }),
        }),
      ),
    expect: status.INVALID_ARGUMENT,
    details: /shape has more than 8 elements/,
  },
];

beforeAll(async () => {
  const tiny = await makeTinyBundle();
  const { manifest } = await loadBundle(tiny.bundleDir, "size");
  const tokenizer = await loadTokenizer(tiny.bundleDir);
  deployment = await LocalDeployment.start({
    bundle: tiny.bundleDir,
    // No gateway: the stages never touch Redis.
    redisUrl: REDIS_URL,
    keyPrefix: "hostile-stages",
    replicas: { vision: 1, llm: 1, decoder: 1 },
    gateways: 0,
    env: { PIXELLM_INTRA_OP_THREADS: "1", PIXELLM_LOG_LEVEL: "warn" },
    logs: { kind: "directory", dir: await tempDir("hostile-stage-logs") },
  });
  for (const [service, role] of [
    ["VisionEncoder", "vision-encoder"],
    ["LLMGenerator", "llm"],
    ["PixelDecoder", "pixel-decoder"],
  ] as const)
    channels.set(service, new HostileChannel(deployment.byRole(role)[0]!.address));

  // The valid chain, built with the same protocol modules the gateway uses.
  const original = await decodeImage(await shapesImage(160, 120));
  const deadline = () => ({ deadline: new Date(Date.now() + 60_000) });
  valid.encode = encodeEncodeRequest(
    "hostile-valid",
    resizeForClip(original, manifest.preprocessing.imageSize),
  );
  const vision = decodeEncodeResponse(
    await channels
      .get("VisionEncoder")!
      .unary<EncodeResponse__Output>("VisionEncoder", "Encode", valid.encode, deadline()),
    visionDims(manifest),
  );
  const dims = modelDims(manifest);
  valid.vocab = dims.vocab;
  valid.positions = dims.maxPositions;
  const limits = stageRequestLimits(manifest);
  valid.maxBytes = {
    Encode: limits.vision.Encode!.maxBytes,
    Generate: limits.llm.Generate!.maxBytes,
    Decode: limits.decoder.Decode!.maxBytes,
  };
  valid.imageTokenIndex = dims.imageTokenIndex;
  valid.generate = encodeGenerateRequest("hostile-valid", {
    promptIds: promptIdsForQuery(tokenizer, "Segment the ball.", manifest.tokens.codebookNames),
    imageEmbeds: vision.imageEmbeds,
    imageMask: vision.imageMask,
    maxNewTokens: 8,
  });
  const events = await channels
    .get("LLMGenerator")!
    .stream<GenerateResponse__Output>("LLMGenerator", "Generate", valid.generate, deadline());
  const done = events.at(-1)?.done;
  if (!done) throw new Error("the valid Generate ended without its result");
  valid.decode = encodeDecodeRequest("hostile-valid", {
    codebookHidden: decodeGenerationDone(done, dims).codebookHidden,
    decoderFeatures: vision.decoderFeatures,
    resized: [valid.encode.resized!.height!, valid.encode.resized!.width!],
    original: [original.height, original.width],
  });
}, 240_000);

afterAll(async () => {
  for (const channel of channels.values()) channel.close();
  await deployment?.stop();
});

function environment(): HostileEnvironment<StageApi> {
  const options = (deadline: Date): CallOptions => ({ deadline });
  const call = (service: ServiceName) => channels.get(service)!;
  const target = (
    role: "vision-encoder" | "llm" | "pixel-decoder",
    check: (deadline: Date) => Promise<unknown>,
  ): HostileTarget => ({
    pid: deployment.byRole(role)[0]!.pid!,
    rssMb: STAGE_RSS_MB,
    valid: async (deadline) => {
      await check(deadline);
    },
  });
  const encodeCall = (request: object, deadline: Date) =>
    call("VisionEncoder").unary("VisionEncoder", "Encode", request, options(deadline));
  const generateCall = (request: object, deadline: Date) =>
    call("LLMGenerator").stream("LLMGenerator", "Generate", request, options(deadline));
  const decodeCall = (request: object, deadline: Date) =>
    call("PixelDecoder").unary("PixelDecoder", "Decode", request, options(deadline));
  return {
    api: (deadline) => ({
      encode: (request) => encodeCall(request, deadline),
      generate: (request) => generateCall(request, deadline),
      decode: (request) => decodeCall(request, deadline),
      raw: (service, method, bytes) =>
        call(service).rawUnary(`/pixellm.v1.${service}/${method}`, bytes, options(deadline)),
      rawGenerate: (bytes) =>
        call("LLMGenerator").rawStream("/pixellm.v1.LLMGenerator/Generate", bytes, options(deadline)),
    }),
    targets: {
      vision: target("vision-encoder", (deadline) => encodeCall(valid.encode, deadline)),
      llm: target("llm", (deadline) => generateCall(valid.generate, deadline)),
      decoder: target("pixel-decoder", (deadline) => decodeCall(valid.decode, deadline)),
    },
  };
}

describeHostileCases(
  "hostile input: stage APIs (vision-encoder, llm, pixel-decoder processes)",
  cases,
  environment,
);

/**
 * The stage services' request limits, sized from the bundle (stage-request-limits.ts), over
 * real gRPC on loopback with the tiny bundle: a request over its method's byte limit is
 * refused with RESOURCE_EXHAUSTED naming the limit, one over a field cap with INVALID_ARGUMENT,
 * before it is decoded; a valid request straight afterwards succeeds.
 */
import * as grpc from "@grpc/grpc-js";
import { type EncodeResponse__Output, services } from "@pixellm/api";
import { type StageRequestLimits, startStage, stageRequestLimits, unaryCall } from "@pixellm/service-kit";
import { visionConfig, visionStage } from "@pixellm/vision-encoder";
import { encodeEncodeRequest } from "@pixellm/vision-encoder/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Reference as LlmReference,
  type RunningLlm,
  generateRequest,
  makeReference,
  start as startLlm,
  testStage as llmTestStage,
} from "../../services/llm/test/fixture";
import {
  type RunningDecoder,
  decodeRequest,
  start as startDecoder,
  syntheticInput,
  testStage as decoderTestStage,
} from "../../services/pixel-decoder/test/fixture";

let ref: LlmReference;
let limits: StageRequestLimits;
let llm: RunningLlm;
let decoder: RunningDecoder;
let vision: { readonly port: number; stop(): Promise<void> };
const raw: grpc.Client[] = [];

beforeAll(async () => {
  ref = await makeReference();
  limits = stageRequestLimits(ref.manifest);
  const noWarmUp = { PIXELLM_WARM_UP: "false" };
  llm = await startLlm(llmTestStage(ref.bundleDir, noWarmUp));
  decoder = await startDecoder(decoderTestStage(ref.bundleDir, noWarmUp));
  vision = await startStage(
    visionStage(
      visionConfig({
        PIXELLM_BUNDLE: ref.bundleDir,
        VISION_HOST: "127.0.0.1",
        VISION_PORT: "0",
        PIXELLM_LOG_LEVEL: "warn",
        ...noWarmUp,
      }),
    ),
  );
}, 300_000);

afterAll(async () => {
  for (const client of raw) client.close();
  await Promise.all([llm?.stop(), decoder?.stop(), vision?.stop()]);
  await ref?.engine.close();
});

function rawClient(target: string): grpc.Client {
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
    "grpc.max_send_message_length": -1,
  });
  raw.push(client);
  return client;
}

/** The status a call with these request bytes ends with (unary and server-streaming alike). */
function statusOf(
  client: grpc.Client,
  path: string,
  bytes: Buffer,
  streaming = false,
): Promise<grpc.StatusObject> {
  return new Promise((resolve) => {
    const identity = (b: Buffer) => b;
    if (streaming) {
      const call = client.makeServerStreamRequest(path, identity, identity, bytes, {});
      call.on("data", () => undefined);
      call.on("error", () => undefined);
      call.on("status", resolve);
    } else {
      const call = client.makeUnaryRequest(path, identity, identity, bytes, () => undefined);
      call.on("status", resolve);
    }
  });
}

function varint(value: number): number[] {
  const out: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 0x80)) out.push((value % 0x80) | 0x80);
  out.push(value);
  return out;
}

/** `field` as a packed run of `count` one-byte varints. */
function packedOnes(field: number, count: number): Buffer {
  return Buffer.concat([Buffer.from([field * 8 + 2, ...varint(count)]), Buffer.alloc(count, 1)]);
}

describe("stageRequestLimits", () => {
  it("sizes each method from the tiny bundle's graphs and positions", () => {
    const { imageSize: S } = ref.manifest.preprocessing;
    const { max_position_embeddings: P, hidden_size: H } = ref.manifest.config;
    const T = ref.manifest.geometry.llmImageTokens;
    const G = ref.manifest.geometry.patchGrid;
    const D = ref.manifest.config.out_dim;
    const envelope = 64 * 1024;
    // vision.onnx out: image_embeds float32[1,T,H], image_mask int64[1,T], decoder_features float32[1,2,D,G,G]
    const visionOutputs = T * H * 4 + T * 8 + 2 * D * G * G * 4;
    // pixel_values float32[1,3,S,S] and resized_hw int64[1,2]
    expect(limits.vision.Encode!.maxBytes).toBe(3 * S * S * 4 + 2 * 8 + envelope);
    expect(limits.llm.Generate!.maxBytes).toBe(visionOutputs + 2 * P * 10 + envelope);
    expect(limits.decoder.Decode!.maxBytes).toBe(visionOutputs + P * H * 4 + envelope);
  });
});

describe("LLMGenerator.Generate", () => {
  const path = "/pixellm.v1.LLMGenerator/Generate";
  const valid = () =>
    services().LLMGenerator.service.Generate.requestSerialize(generateRequest(ref.prompts[0]!, ref.manifest));

  it("refuses 16 MB of prompt_ids by size before decoding them; a valid request succeeds next", async () => {
    const limit = limits.llm.Generate!.maxBytes;
    const started = performance.now();
    const status = await statusOf(
      rawClient(llm.target),
      path,
      Buffer.concat([valid(), packedOnes(2, 16 * 2 ** 20)]),
      true,
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toMatch(
      new RegExp(
        `^Generate request is \\d+ bytes, over its ${limit}-byte limit \\(one image's vision outputs`,
      ),
    );
    const streamed = await llm.generate(generateRequest(ref.prompts[0]!, ref.manifest, { maxNewTokens: 4 }));
    expect(streamed.done.outputIds.length).toBeGreaterThan(0);
  });

  it("refuses answer_ids beyond the model's positions with INVALID_ARGUMENT", async () => {
    const positions = ref.manifest.config.max_position_embeddings;
    const status = await statusOf(
      rawClient(llm.target),
      path,
      Buffer.concat([valid(), packedOnes(6, positions + 1)]),
      true,
    );
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toBe(
      `Generate request: answer_ids has more than ${positions} elements (at least ${positions + 1}); the limit is ${positions}`,
    );
    expect(
      (await llm.generate(generateRequest(ref.prompts[1]!, ref.manifest, { maxNewTokens: 4 }))).done,
    ).toBeDefined();
  });
});

describe("PixelDecoder.Decode", () => {
  it("refuses a request one byte over its limit; a valid request succeeds next", async () => {
    const limit = limits.decoder.Decode!.maxBytes;
    // DecodeRequest { request_id: a string that makes the request limit + 1 bytes }
    const idBytes = limit + 1 - 1 - varint(limit).length;
    const request = Buffer.concat([Buffer.from([0x0a, ...varint(idBytes)]), Buffer.alloc(idBytes, 0x61)]);
    expect(request.byteLength).toBe(limit + 1);
    const status = await statusOf(rawClient(decoder.target), "/pixellm.v1.PixelDecoder/Decode", request);
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toContain(
      `over its ${limit}-byte limit (one image's vision outputs and a codebook row per LLM position`,
    );
    const response = await decoder.decode(decodeRequest(syntheticInput(ref.manifest)));
    expect(response.masks.length).toBe(1);
  });
});

describe("VisionEncoder.Encode", () => {
  const path = "/pixellm.v1.VisionEncoder/Encode";
  const size = () => ref.manifest.preprocessing.imageSize;
  const image = () => ({ width: size(), height: size(), data: new Uint8Array(size() * size() * 3) });
  const encode = () =>
    services().VisionEncoder.service.Encode.requestSerialize(encodeEncodeRequest("test", image()));

  it("refuses a tensor with more dimensions than any graph has; a valid request succeeds next", async () => {
    // EncodeRequest { resized_rgb (4): Tensor { shape (2): nine dimensions } }
    const tensor = Buffer.from([0x12, 9, ...Array<number>(9).fill(1)]);
    const request = Buffer.concat([Buffer.from([0x22, tensor.length]), tensor]);
    const target = `127.0.0.1:${vision.port}`;
    const status = await statusOf(rawClient(target), path, request);
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toBe(
      "Encode request: resized_rgb.shape has more than 8 elements (at least 9); the limit is 8",
    );
    const over = Buffer.concat([
      encode(),
      Buffer.from([0x0a, ...varint(limits.vision.Encode!.maxBytes)]),
      Buffer.alloc(limits.vision.Encode!.maxBytes),
    ]);
    expect((await statusOf(rawClient(target), path, over)).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const client = new (services().VisionEncoder)(target, grpc.credentials.createInsecure());
    try {
      const response = await unaryCall<EncodeResponse__Output>((done) =>
        client.Encode(encodeEncodeRequest("test", image()), done),
      );
      expect(response.imageEmbeds?.shape.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});

/**
 * The PixelDecoder service on a real gRPC server and tiny bundle: health, reflection, Info,
 * masks equal to the in-process decoder stage, dynamic batching and request validation.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { status } from "@grpc/grpc-js";
import { decodeTensor } from "@pixellm/api";
import type { DecodeOutput } from "@pixellm/engine";
import { LIVENESS, checkHealth, listServices } from "@pixellm/service-kit";
import { float32Tensor } from "@pixellm/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxAbsDiff } from "../../../test/support/reference-model";
import {
  type Reference,
  type RunningDecoder,
  decodeRequest,
  makeReference,
  start,
  testStage,
} from "./fixture";

/** Low-res logits: the same graph; batch neighbours may change the summation order. */
const LOGIT_TOLERANCE = 1e-5;

let ref: Reference;
let server: RunningDecoder;
let expected: DecodeOutput;

beforeAll(async () => {
  ref = await makeReference();
  server = await start(testStage(ref.bundleDir, { DECODER_MAX_BATCH_DELAY_MS: "20" }));
  const [outcome] = await ref.engine.decoder.decode([ref.input]);
  if (!outcome || outcome instanceof Error) throw new Error("the in-process decoder failed");
  expected = outcome;
});

afterAll(async () => {
  await server?.stop();
  await ref?.engine.close();
});

const manifest = () => ref.engine.bundle.manifest;
const masksOf = (output: DecodeOutput) =>
  output.targets.map((t) => ({
    rle: { size: [...t.mask.size], counts: t.mask.counts },
    bbox: [...t.bbox],
    area: t.area,
    score: t.score,
  }));

describe("PixelDecoder service", () => {
  it("is SERVING once loaded, live, and lists its service through reflection", async () => {
    expect(await checkHealth(server.target, "")).toBe("SERVING");
    expect(await checkHealth(server.target, "pixellm.v1.PixelDecoder")).toBe("SERVING");
    expect(await checkHealth(server.target, LIVENESS)).toBe("SERVING");
    const listed = await listServices(server.target);
    expect(listed).toContain("pixellm.v1.PixelDecoder");
    expect(listed).not.toContain("pixellm.v1.VisionEncoder");
  });

  it("Info reports the model, its dims, the provider and the batching limits", async () => {
    const manifestBytes = await readFile(path.join(ref.bundleDir, "pixellm.json"));
    const info = await server.info();
    expect(info).toMatchObject({
      stage: "pixel-decoder",
      model: manifest().name,
      modelDigest: createHash("sha256").update(manifestBytes).digest("hex"),
      dtype: "float32",
      executionProvider: "cpu",
      hiddenSize: manifest().config.hidden_size,
      outDim: manifest().config.out_dim,
      maxBatchSize: 8,
      maxBatchDelayMs: 20,
      kvBudgetTokens: 0,
    });
  });

  it("answers with the masks and logits of the in-process decoder stage", async () => {
    expect(expected.targets.length).toBeGreaterThan(0);
    const reply = await server.decode(decodeRequest(ref.input, true));
    expect(reply.masks).toEqual(masksOf(expected));
    expect(reply.dropped).toBe(false);
    const logits = decodeTensor("low_res_logits", reply.lowResLogits, {
      dtype: "float32",
      shape: [expected.targets.length, 1, 128, 128],
    });
    expect(reply.lowResLogits?.crc32c).not.toBe(0);
    expect(maxAbsDiff(logits.data, expected.lowResLogits.data)).toBeLessThanOrEqual(LOGIT_TOLERANCE);
  });

  it("decodes several groups, drops a partial one, and accepts no codebook states", async () => {
    const { hidden_size: H } = manifest().config;
    const one = ref.input.codebookHidden.data;
    const groups = new Float32Array(2 * one.length);
    groups.set(one);
    groups.set(one, one.length);
    const hidden = (count: number) => float32Tensor([count, H], groups.slice(0, count * H));
    const two = await server.decode(decodeRequest({ ...ref.input, codebookHidden: hidden(12) }));
    expect(two.masks).toEqual([...masksOf(expected), ...masksOf(expected)]);
    expect(two.lowResLogits).toBeNull();

    const partial = await server.decode(decodeRequest({ ...ref.input, codebookHidden: hidden(7) }));
    expect(partial).toMatchObject({ masks: [], dropped: true });

    const none = await server.decode(decodeRequest({ ...ref.input, codebookHidden: hidden(0) }, true));
    expect(none).toMatchObject({ masks: [], dropped: false });
    expect(none.lowResLogits?.shape).toEqual([0, 1, 128, 128]);
  });

  it("batches concurrent requests, each with its own result", async () => {
    const before = (await server.info()).stats!;
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => server.decode(decodeRequest(ref.input))),
    );
    for (const reply of replies) expect(reply.masks).toEqual(masksOf(expected));
    const after = (await server.info()).stats!;
    const batches = after.batches - before.batches;
    expect(after.items - before.items).toBe(8);
    expect(8 / batches).toBeGreaterThan(1);
    expect(after.maxBatchSizeSeen).toBeGreaterThan(1);
    console.log(
      `pixel-decoder: 8 concurrent requests ran in ${batches} batches (max ${after.maxBatchSizeSeen})`,
    );
  });
});

describe("PixelDecoder request validation", () => {
  type Request = ReturnType<typeof decodeRequest>;
  const cases: [string, (r: Request) => Request, RegExp][] = [
    [
      "codebook_hidden of the wrong width",
      (r) => ({ ...r, codebookHidden: { ...r.codebookHidden!, shape: [3, 130], crc32c: 0 } }),
      /codebook_hidden must be float32\[\*,64\]/,
    ],
    [
      "codebook_hidden of the wrong dtype",
      (r) => ({ ...r, codebookHidden: { ...r.codebookHidden!, dtype: "DTYPE_FLOAT16" } }),
      /codebook_hidden must be float32/,
    ],
    ["a missing codebook_hidden", (r) => ({ ...r, codebookHidden: null }), /codebook_hidden is missing/],
    [
      "decoder_features of the wrong shape",
      (r) => ({ ...r, decoderFeatures: { ...r.decoderFeatures!, shape: [2, 32, 16, 64] } }),
      /decoder_features must be float32\[2,32,32,32\]/,
    ],
    [
      "decoder_features with too few bytes",
      (r) => ({ ...r, decoderFeatures: { ...r.decoderFeatures!, data: Buffer.alloc(16), crc32c: 0 } }),
      /decoder_features float32\[2,32,32,32\] needs 262144 bytes of data, got 16/,
    ],
    ["a missing resized size", (r) => ({ ...r, resized: null }), /resized \(height, width\) is required/],
    [
      "a resized size that does not match the original",
      (r) => ({ ...r, resized: { height: 448, width: 299 } }),
      /resized must be the original 427x640 .*: 299x448, got 448x299/,
    ],
    [
      "an original size beyond the pixel limit",
      (r) => ({ ...r, original: { height: 100_000, width: 100_000 } }),
      /original must be at least 1x1 and at most/,
    ],
    [
      "a corrupted crc32c",
      (r) => {
        const data = Buffer.from(r.codebookHidden!.data as Uint8Array);
        data[5] = data[5]! ^ 0xff;
        return { ...r, codebookHidden: { ...r.codebookHidden!, data } };
      },
      /codebook_hidden failed its CRC-32C check/,
    ],
  ];

  it.each(cases)("%s is INVALID_ARGUMENT naming the field", async (_, corrupt, message) => {
    const request = corrupt(decodeRequest(ref.input));
    await expect(server.decode(request)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(message) as unknown,
    });
  });
});

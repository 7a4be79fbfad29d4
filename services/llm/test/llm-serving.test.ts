/**
 * The LLMGenerator service on a real gRPC server and tiny bundle: health, reflection, Info,
 * streamed results equal to the in-process scheduler, continuous batching, request validation,
 * and a second client in Python.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { status } from "@grpc/grpc-js";
import { type GenerateRequest, decodeTensor } from "@pixellm/api";
import type { GenerationResult } from "@pixellm/engine";
import { LIVENESS, checkHealth, listServices } from "@pixellm/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxAbsDiff } from "../../../test/support/reference-model";
import {
  type Prompt,
  type Reference,
  type RunningLlm,
  generateRequest,
  makeReference,
  start,
  testStage,
} from "./fixture";

/** Codebook hidden states: the same graphs; batching pads rows, which may change summation order. */
const HIDDEN_TOLERANCE = 1e-5;

let ref: Reference;
let server: RunningLlm;
let digest: string;

beforeAll(async () => {
  ref = await makeReference();
  server = await start(testStage(ref.bundleDir));
  digest = createHash("sha256")
    .update(await readFile(path.join(ref.bundleDir, "pixellm.json")))
    .digest("hex");
});

afterAll(async () => {
  await server?.stop();
  await ref?.engine.close();
});

const H = () => ref.manifest.config.hidden_size;

/** The same generation run on the in-process scheduler. */
function inProcess(prompt: Prompt, request: Partial<GenerateRequest> = {}): Promise<GenerationResult> {
  const answerIds = request.answerIds?.map(Number);
  return ref.engine.generation.submit({
    promptIds: prompt.promptIds,
    imageEmbeds: prompt.imageEmbeds,
    imageMask: prompt.imageMask,
    maxNewTokens: request.maxNewTokens ?? 64,
    ...(answerIds ? { answerIds } : {}),
    ...(request.ignoreEos ? { ignoreEos: true } : {}),
  });
}

function codebookOf(done: { codebookHidden: Parameters<typeof decodeTensor>[1] }) {
  return decodeTensor("codebook_hidden", done.codebookHidden, { dtype: "float32", shape: [null, H()] });
}

describe("LLMGenerator service", () => {
  it("Info reports the model, its dims, the provider and the limits, with counters at zero", async () => {
    const info = await server.info();
    expect(info).toMatchObject({
      stage: "llm",
      model: ref.manifest.name,
      modelDigest: digest,
      dtype: "float32",
      executionProvider: "cpu",
      hiddenSize: H(),
      outDim: ref.manifest.config.out_dim,
      maxBatchSize: 16,
      kvBudgetTokens: 32_768,
    });
    // The warm-up generation ran on a scheduler of its own.
    expect(info.stats).toMatchObject({ batches: 0, items: 0, prefillBatches: 0, prefillItems: 0 });
  });

  it("is SERVING once loaded, live, and lists its service through reflection", async () => {
    expect(await checkHealth(server.target, "")).toBe("SERVING");
    expect(await checkHealth(server.target, "pixellm.v1.LLMGenerator")).toBe("SERVING");
    expect(await checkHealth(server.target, LIVENESS)).toBe("SERVING");
    const listed = await listServices(server.target);
    expect(listed).toContain("pixellm.v1.LLMGenerator");
    expect(listed).not.toContain("pixellm.v1.PixelDecoder");
  });

  it("streams token deltas (coalesced every LLM_STREAM_FLUSH_MS), then the in-process result", async () => {
    const prompt = ref.prompts[0]!;
    const { deltas, done } = await server.generate(generateRequest(prompt, ref.manifest));
    const expected = await inProcess(prompt);
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.length).toBeLessThanOrEqual(expected.outputIds.length);
    expect(deltas.flat()).toEqual(expected.outputIds);
    expect(done.outputIds).toEqual(expected.outputIds);
    expect(done.finishReason).toBe("FINISH_REASON_EOS");
    expect(done.promptPositions).toBe(expected.promptPositions);
    expect(done.codebookHidden?.crc32c).not.toBe(0);
    const codebook = codebookOf(done);
    expect(codebook.shape).toEqual(expected.codebookHidden.shape);
    expect(expected.codebookHidden.shape[0]).toBe(ref.manifest.geometry.codebookSize); // one planted target
    expect(maxAbsDiff(codebook.data, expected.codebookHidden.data)).toBeLessThanOrEqual(HIDDEN_TOLERANCE);
    expect(done.totalMs).toBeGreaterThanOrEqual(done.firstTokenMs);
  });

  it("teacher-forces given answer ids without streaming tokens", async () => {
    const prompt = ref.prompts[1]!;
    const answerIds = (await inProcess(prompt)).outputIds;
    const { deltas, done } = await server.generate(generateRequest(prompt, ref.manifest, { answerIds }));
    const expected = await inProcess(prompt, { answerIds });
    expect(deltas).toEqual([]);
    expect(done).toMatchObject({ outputIds: answerIds, finishReason: "FINISH_REASON_TEACHER_FORCED" });
    expect(maxAbsDiff(codebookOf(done).data, expected.codebookHidden.data)).toBeLessThanOrEqual(
      HIDDEN_TOLERANCE,
    );
  });

  it("batches concurrent sequences (continuous batching), each with its own result", async () => {
    const extra = { maxNewTokens: 24, ignoreEos: true };
    const before = (await server.info()).stats!;
    const replies = await Promise.all(
      ref.prompts.map((prompt) => server.generate(generateRequest(prompt, ref.manifest, extra))),
    );
    const after = (await server.info()).stats!;
    for (const [i, prompt] of ref.prompts.entries()) {
      const expected = await inProcess(prompt, extra);
      const { done } = replies[i]!;
      expect(done.outputIds).toEqual(expected.outputIds);
      expect(done.finishReason).toBe("FINISH_REASON_LENGTH");
      expect(maxAbsDiff(codebookOf(done).data, expected.codebookHidden.data)).toBeLessThanOrEqual(
        HIDDEN_TOLERANCE,
      );
    }
    const steps = after.batches - before.batches;
    const rows = after.items - before.items;
    const prefills = after.prefillBatches - before.prefillBatches;
    expect(after.prefillItems - before.prefillItems).toBe(ref.prompts.length);
    expect(rows).toBe(ref.prompts.length * 23); // the first token of each comes from its prefill
    expect(rows / steps).toBeGreaterThan(1);
    console.log(
      `llm: ${ref.prompts.length} concurrent sequences: ${steps} decode steps, mean decode batch ` +
        `${(rows / steps).toFixed(2)}, ${prefills} prefill runs (mean ${(ref.prompts.length / prefills).toFixed(2)} rows)`,
    );
  });

  it("answers a Python grpcio client: health and Info with the bundle's digest", async () => {
    const script = path.join(import.meta.dirname, "python", "llm_info.py");
    const { stdout } = await promisify(execFile)("/usr/bin/python3", [script, server.target]);
    const reply = JSON.parse(stdout) as {
      health: Record<string, string>;
      info: { stage: string; model_digest: string; hidden_size: number; stats: { batches: number } };
    };
    expect(reply.health).toEqual({
      "": "SERVING",
      "pixellm.v1.LLMGenerator": "SERVING",
      liveness: "SERVING",
    });
    expect(reply.info).toMatchObject({ stage: "llm", model_digest: digest, hidden_size: H() });
    expect(reply.info.stats.batches).toBeGreaterThan(0);
  });
});

describe("LLMGenerator request validation", () => {
  const cases: [string, (r: GenerateRequest) => GenerateRequest, RegExp][] = [
    [
      "image_embeds of the wrong shape",
      (r) => ({ ...r, imageEmbeds: { ...r.imageEmbeds!, shape: [128, 128], crc32c: 0 } }),
      /image_embeds must be float32\[256,64\], got float32\[128,128\]/,
    ],
    ["a missing image_embeds", (r) => ({ ...r, imageEmbeds: null }), /image_embeds is missing/],
    [
      "image_mask of the wrong dtype",
      (r) => ({ ...r, imageMask: { ...r.imageMask!, dtype: "DTYPE_INT64" } }),
      /image_mask must be uint8\[256\]/,
    ],
    [
      "an image_mask value other than 0 and 1",
      (r) => ({ ...r, imageMask: { ...r.imageMask!, data: Buffer.alloc(256, 2) } }),
      /image_mask must hold only 0 and 1/,
    ],
    [
      "a corrupted crc32c",
      (r) => {
        const data = Buffer.from(r.imageEmbeds!.data as Uint8Array);
        data[100] = data[100]! ^ 0x01;
        return { ...r, imageEmbeds: { ...r.imageEmbeds!, data } };
      },
      /image_embeds failed its CRC-32C check/,
    ],
    [
      "prompt_ids without the image placeholder",
      (r) => ({ ...r, promptIds: [1, 2, 3] }),
      /prompt_ids must hold exactly one image placeholder \(-200\)/,
    ],
    [
      "a prompt id outside the vocabulary",
      (r) => ({ ...r, promptIds: [1, 99_999, -200] }),
      /prompt_ids\[1\] = 99999 is outside the vocabulary \[0, 620\)/,
    ],
    [
      "an answer id outside the vocabulary",
      (r) => ({ ...r, answerIds: [5, -3] }),
      /answer_ids\[1\] = -3 is outside the vocabulary/,
    ],
    ["max_new_tokens of 0", (r) => ({ ...r, maxNewTokens: 0 }), /max_new_tokens must be a positive integer/],
    [
      "a negative temperature",
      (r) => ({ ...r, sampling: { temperature: -1, topP: 0, seed: 0 } }),
      /temperature must be finite and ≥ 0/,
    ],
  ];

  it.each(cases)("%s is INVALID_ARGUMENT naming the field", async (_, corrupt, message) => {
    const request = corrupt(generateRequest(ref.prompts[0]!, ref.manifest));
    await expect(server.generate(request)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(message) as unknown,
    });
  });
});

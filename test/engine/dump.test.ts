/**
 * `pixellm segment --dump` writes every intermediate tensor the spec names, and each one is what
 * the official algorithm computes: checked against the plain TypeScript reference of the
 * official code (packages/reference) on the tiny bundle, and against each other (the codebook
 * states are the hidden states at the SEG positions; the final low-res mask is the fixed 0.5/0.5
 * mix of the two level masks).
 */
import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { codebookPositions } from "@pixellm/engine";
import {
  type ReferenceModel,
  encodeImage,
  fuseSegTokens,
  kernels,
  runLlm,
  spliceImage,
  textHiddenFcs,
  decodeLowResMasks,
} from "@pixellm/reference";
import { type HostTensor, decodeNpy } from "@pixellm/tensor";
import { beforeAll, describe, expect, it } from "vitest";
import { STACK_FRAME, pixellm } from "../support/cli";
import { shapesImage } from "../support/images";
import { loadReference, maxAbsDiff } from "../support/reference-model";
import { type TinyBundle, makeTinyBundle, tempDir } from "../support/tiny-bundle";

/** float32 through different summation orders (as the golden test). */
const TOLERANCE = 1e-4;
/** The same graphs at batch 1 in the engine and in the dump pass. */
const SAME_RUN = 1e-6;

const TENSORS = [
  "pixel_values",
  "clip_resize",
  "original_size",
  "image_features",
  "pre_image_features",
  "image_embeds",
  "image_mask",
  "decoder_features",
  "prompt_ids",
  "output_ids",
  "inputs_embeds",
  "attention_mask",
  "output_hidden_states",
  "logits",
  "codebook_hidden",
  "pred_embeddings",
  "sparse_embeddings",
  "l_low_res_masks_0",
  "l_low_res_masks_1",
  "low_res_masks",
  "mask_logits",
  "mask_scores",
];

let tiny: TinyBundle;
let reference: ReferenceModel;
let work: string;
let imageFile: string;

beforeAll(async () => {
  tiny = await makeTinyBundle({ seed: 5 });
  reference = await loadReference(tiny.checkpointDir, tiny.visionTowerDir);
  work = await tempDir("dump");
  imageFile = path.join(work, "image.png");
  await writeFile(imageFile, await shapesImage(300, 200));
}, 180_000);

async function dump(bundleDir: string, dir: string) {
  const result = await pixellm([
    "segment",
    "--model",
    bundleDir,
    "--image",
    imageFile,
    "--query",
    "Please segment the red ball.",
    "--dump",
    dir,
    "--json",
  ]);
  expect(result.stderr).not.toMatch(STACK_FRAME);
  expect(result.code, result.stderr).toBe(0);
  return result;
}

describe("segment --dump", () => {
  it("writes the spec's tensors, each equal to the official algorithm's", async () => {
    const dir = path.join(work, "dump");
    const result = await dump(tiny.bundleDir, dir);
    const index = JSON.parse(await readFile(path.join(dir, "dump.json"), "utf8")) as {
      tensors: Record<string, { shape: number[]; dtype: string; official: string }>;
      unavailable: string[];
    };
    expect(index.unavailable).toEqual([]);
    expect(Object.keys(index.tensors)).toEqual(TENSORS.map((n) => `${n}.npy`));
    const t: Record<string, HostTensor> = {};
    for (const name of TENSORS) {
      t[name] = decodeNpy(await readFile(path.join(dir, `${name}.npy`)));
      expect(t[name].shape, name).toEqual(index.tensors[`${name}.npy`]!.shape);
    }
    const f32 = (name: string) => t[name]!.data as Float32Array;
    const ints = (name: string) => Array.from(t[name]!.data as BigInt64Array, Number);
    const { hidden_size: H, vocab_size: V } = reference.config;

    // Vision: the CLIP taps, as hidden_states[-2][:, 1:] and hidden_states[-11][:, 1:].
    const resized = ints("clip_resize") as [number, number];
    const vision = encodeImage(reference, f32("pixel_values"), resized);
    expect(maxAbsDiff(f32("image_features"), vision.taps.selected)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(f32("pre_image_features"), vision.taps.second)).toBeLessThanOrEqual(TOLERANCE);

    // LLM: the sequence of the last generation step, its mask, hidden states, per-step logits.
    const promptIds = ints("prompt_ids");
    const outputIds = ints("output_ids");
    const sequence = [...promptIds, ...outputIds.slice(0, -1)];
    const spliced = spliceImage(
      reference.llm,
      sequence,
      sequence.map(() => 1),
      vision.imageEmbeds,
      vision.imageTokenMask,
    );
    const T = spliced.mask.length;
    expect(t.inputs_embeds!.shape).toEqual([1, T, H]);
    expect(maxAbsDiff(f32("inputs_embeds"), spliced.embeds)).toBeLessThanOrEqual(TOLERANCE);
    expect(ints("attention_mask")).toEqual(Array.from(spliced.mask));
    const llm = runLlm(reference.llm, spliced.embeds, spliced.mask);
    expect(maxAbsDiff(f32("output_hidden_states"), llm.hidden)).toBeLessThanOrEqual(TOLERANCE);
    const steps = outputIds.length;
    expect(t.logits!.shape).toEqual([steps, V]);
    const promptPositions = T - (steps - 1);
    const referenceLogits = llm.logits.subarray((promptPositions - 1) * V, T * V);
    expect(maxAbsDiff(f32("logits"), referenceLogits)).toBeLessThanOrEqual(TOLERANCE);
    for (let k = 0; k < steps; k++) {
      expect(kernels.argmax(f32("logits").subarray(k * V, (k + 1) * V)), `step ${k}`).toBe(outputIds[k]);
    }

    // The codebook states are the hidden states at the positions that predicted SEG tokens.
    const { tokens } = JSON.parse(await readFile(path.join(tiny.bundleDir, "pixellm.json"), "utf8")) as {
      tokens: { seg: number[] };
    };
    const positions = codebookPositions([...promptIds, ...outputIds], new Set(tokens.seg), 256);
    const gathered = new Float32Array(
      positions.flatMap((p) => Array.from(f32("output_hidden_states").subarray(p * H, (p + 1) * H))),
    );
    expect(positions.length).toBe(6);
    expect(maxAbsDiff(f32("codebook_hidden"), gathered)).toBeLessThanOrEqual(SAME_RUN);

    // Pixel decoder: text_hidden_fcs, the fused prompts, the level masks and their 0.5/0.5 mix.
    const D = reference.config.out_dim;
    const predEmbeddings = textHiddenFcs(reference.decoder, f32("codebook_hidden"), 6);
    expect(maxAbsDiff(f32("pred_embeddings"), predEmbeddings)).toBeLessThanOrEqual(TOLERANCE);
    const sparse = fuseSegTokens(f32("pred_embeddings"), D, reference.config.seg_token_num);
    expect(t.sparse_embeddings!.shape).toEqual([1, 2, D]);
    expect(maxAbsDiff(f32("sparse_embeddings"), sparse)).toBeLessThanOrEqual(TOLERANCE);
    expect(t.l_low_res_masks_0!.shape).toEqual([1, 1, 64, 64]);
    expect(t.l_low_res_masks_1!.shape).toEqual([1, 1, 128, 128]);
    const level0 = kernels.resizeBilinear(f32("l_low_res_masks_0"), 1, 64, 64, 128, 128);
    const mixed = level0.map((v, i) => 0.5 * v + 0.5 * f32("l_low_res_masks_1")[i]!);
    expect(maxAbsDiff(f32("low_res_masks"), mixed)).toBeLessThanOrEqual(SAME_RUN);
    const lowRes = decodeLowResMasks(reference.decoder, sparse, f32("decoder_features"), 32);
    expect(maxAbsDiff(f32("low_res_masks"), lowRes)).toBeLessThanOrEqual(TOLERANCE);
    const answer = JSON.parse(result.stdout) as { targets: { score: number }[] };
    expect(Array.from(f32("mask_scores"))).toEqual(answer.targets.map((target) => Math.fround(target.score)));
  }, 120_000);

  it("names the tensors a bundle exported before the dump outputs cannot give", async () => {
    const old = path.join(work, "old-bundle");
    await cp(tiny.bundleDir, old, { recursive: true });
    const manifestFile = path.join(old, "pixellm.json");
    const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as {
      graphs: Record<string, { outputs: { name: string }[] }>;
    };
    for (const graph of Object.values(manifest.graphs)) {
      graph.outputs = graph.outputs.filter(
        (o) =>
          [
            "image_embeds",
            "image_mask",
            "decoder_features",
            "low_res_masks",
            "logits",
            "last_hidden",
            "inputs_embeds",
          ].includes(o.name) || o.name.startsWith("new_key_values."),
      );
    }
    await writeFile(manifestFile, JSON.stringify(manifest));
    const dir = path.join(old, "dump");
    const result = await dump(old, dir);
    expect(result.stderr).toMatch(
      /this bundle predates image_features, pre_image_features, pred_embeddings, sparse_embeddings, l_low_res_masks_0, l_low_res_masks_1; export it again to dump them/,
    );
    const index = JSON.parse(await readFile(path.join(dir, "dump.json"), "utf8")) as {
      tensors: Record<string, unknown>;
    };
    expect(Object.keys(index.tensors)).toHaveLength(TENSORS.length - 6);
  }, 120_000);
});

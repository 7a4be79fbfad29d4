/**
 * One engine measurement in its own process (so its peak RSS is its own), printed as JSON:
 *
 *   vision | llm | decoder BUNDLE    that stage alone: latency at batch 1, throughput at 1 and 8
 *   generation BUNDLE N              N new tokens: KV-cached scheduler vs the official recompute
 *                                    loop (full sequence every step, CLIP re-run every step as
 *                                    generate() does, and without the CLIP re-run)
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { loadBundle } from "@pixellm/bundle";
import {
  DecoderWorker,
  type GenerationRequest,
  LlmScheduler,
  LlmWorker,
  type SequenceModel,
  VisionWorker,
  argmax,
  imageSplice,
  modelDims,
  openSessions,
  prepareImage,
} from "@pixellm/engine";
import { type HostTensor, NormalStream, float32Tensor, int64Tensor, makeTensor } from "@pixellm/tensor";
import { loadTokenizer, buildPrompt, tokenizerImageToken } from "@pixellm/tokenizer";

const [mode, bundleDir, arg] = process.argv.slice(2);
if (!mode || !bundleDir) throw new Error("usage: engine-child MODE BUNDLE [N]");
const bundle = await loadBundle(bundleDir, "size");
const { manifest } = bundle;
const H = manifest.config.hidden_size;
const image = await prepareImage(await readFile(path.join(import.meta.dirname, "../../examples/shapes.png")));
const tokenizer = await loadTokenizer(bundleDir);
const promptIds = tokenizerImageToken(tokenizer, buildPrompt("Please segment the red ball."));

function randomValues(shape: number[], seed: number): HostTensor<"float32"> {
  const out = float32Tensor(shape);
  new NormalStream(seed).fill(out.data);
  return out;
}

const KV_BUDGET = 64 * 1024;
const workers = { bundleDir, verify: "size", provider: "cpu" } as const;

/** Runs `work` `repeat` times (after one warm-up run unless told not to); returns mean milliseconds. */
async function timed(repeat: number, work: () => Promise<unknown>, warmUp = true): Promise<number> {
  if (warmUp) await work();
  const started = performance.now();
  for (let i = 0; i < repeat; i++) await work();
  return (performance.now() - started) / repeat;
}

function scheduler(runner: SequenceModel): LlmScheduler {
  return new LlmScheduler(
    runner,
    { eos: manifest.tokens.eos, seg: manifest.tokens.seg },
    { maxBatchSize: 16, kvBudgetTokens: KV_BUDGET, maxPrefillRows: 8 },
  );
}

const imageMask = makeTensor("uint8", [256], new Uint8Array(256).fill(1));

function generationRequest(maxNewTokens: number, imageEmbeds: HostTensor<"float32">): GenerationRequest {
  return { promptIds, imageEmbeds, imageMask, maxNewTokens, ignoreEos: true };
}

async function measureStage(): Promise<Record<string, number>> {
  if (mode === "vision") {
    const stage = await VisionWorker.start(workers);
    const batch1 = await timed(3, () => stage.encode([image]));
    const batch8 = await timed(2, () => stage.encode(Array.from({ length: 8 }, () => image)));
    return { latencyMs: batch1, throughput1: 1000 / batch1, throughput8: (8 * 1000) / batch8 };
  }
  if (mode === "llm") {
    const gen = scheduler(
      await LlmWorker.start(modelDims(manifest), { ...workers, kvCapacityTokens: KV_BUDGET }),
    );
    const embeds = randomValues([256, H], 1);
    const tokens = 32;
    const one = await timed(2, () => gen.submit(generationRequest(tokens, embeds)));
    const eight = await timed(1, () =>
      Promise.all(Array.from({ length: 8 }, () => gen.submit(generationRequest(tokens, embeds)))),
    );
    const stats = gen.stats();
    return {
      latencyMs: one,
      throughput1: (tokens * 1000) / one,
      throughput8: (8 * tokens * 1000) / eight,
      meanDecodeBatch: stats.decodeRows / stats.decodeSteps,
    };
  }
  const stage = await DecoderWorker.start(workers);
  const item = {
    codebookHidden: randomValues([manifest.geometry.codebookSize, H], 2),
    decoderFeatures: randomValues([2, manifest.config.out_dim, 32, 32], 3),
    resized: image.resized,
    original: image.original,
  };
  const batch1 = await timed(3, () => stage.decode([item]));
  const batch8 = await timed(2, () => stage.decode(Array.from({ length: 8 }, () => item)));
  return { latencyMs: batch1, throughput1: 1000 / batch1, throughput8: (8 * 1000) / batch8 };
}

/** The official loop on the same graphs: no cache, the whole sequence (and CLIP) every step. */
async function measureGeneration(tokens: number): Promise<Record<string, number>> {
  const [vision, llm] = await Promise.all([
    VisionWorker.start(workers),
    LlmWorker.start(modelDims(manifest), { ...workers, kvCapacityTokens: KV_BUDGET }),
  ]);
  const encode = async () => {
    const [out] = await vision.encode([image]);
    if (!out || out instanceof Error) throw out ?? new Error("no vision output");
    return out;
  };
  const gen = scheduler(llm);
  const cached = await timed(1, async () => {
    const features = await encode();
    return gen.submit(generationRequest(tokens, features.imageEmbeds));
  });
  const sessions = await openSessions(bundle, ["embed", "llm"], { provider: "cpu" });
  const layers = manifest.config.num_hidden_layers;
  const kvHeads = manifest.config.num_key_value_heads;
  const headDim = H / manifest.config.num_attention_heads;
  const emptyPast: Record<string, HostTensor> = {};
  for (let i = 0; i < layers; i++) {
    emptyPast[`past_key_values.${i}.key`] = float32Tensor([1, kvHeads, 0, headDim]);
    emptyPast[`past_key_values.${i}.value`] = float32Tensor([1, kvHeads, 0, headDim]);
  }
  /** The embedded sequence: text embeddings with the image's in place of the placeholder. */
  const embedded = async (
    ids: readonly number[],
    features: { imageEmbeds: HostTensor<"float32">; imageMask: HostTensor<"uint8"> },
  ) => {
    const { at, keyMask } = imageSplice(ids, features.imageEmbeds, features.imageMask, modelDims(manifest));
    const text = ids.filter((_, i) => i !== at);
    const out = await sessions.embed.run({ input_ids: int64Tensor([1, text.length], text) });
    const textEmbeds = (out.inputs_embeds as HostTensor<"float32">).data;
    const embeds = new Float32Array(keyMask.length * H);
    embeds.set(textEmbeds.subarray(0, at * H), 0);
    embeds.set(features.imageEmbeds.data, at * H);
    embeds.set(textEmbeds.subarray(at * H), (at + 256) * H);
    return { embeds, keyMask };
  };
  const recompute = async (rerunVision: boolean) => {
    let features = await encode();
    const ids = [...promptIds];
    for (let step = 0; step < tokens; step++) {
      if (rerunVision && step > 0) features = await encode();
      const row = await embedded(ids, features);
      const T = row.keyMask.length;
      const out = await sessions.llm.run({
        inputs_embeds: float32Tensor([1, T, H], row.embeds),
        attention_mask: int64Tensor([1, T], row.keyMask),
        position_ids: int64Tensor([1, T], [...Array(T).keys()]),
        logits_index: int64Tensor([1], [T - 1]),
        ...emptyPast,
      });
      ids.push(argmax((out.logits as HostTensor<"float32">).data));
    }
  };
  const withClip = await timed(1, () => recompute(true), false);
  const withoutClip = await timed(1, () => recompute(false), false);
  return {
    cachedMs: cached,
    recomputeMs: withClip,
    recomputeLlmOnlyMs: withoutClip,
    speedup: withClip / cached,
    speedupLlmOnly: withoutClip / cached,
  };
}

const result = mode === "generation" ? await measureGeneration(Number(arg)) : await measureStage();
console.log(JSON.stringify({ ...result, peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
process.exit(0);

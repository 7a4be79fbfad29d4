/**
 * Every exported graph computes what the independent pure-TypeScript reference (written from
 * the official code, packages/reference) computes, on the tiny generated checkpoint:
 * max abs error ≤ 1e-4 on vision features, image embeddings, logits, hidden states and mask
 * logits.
 */
import { loadBundle } from "@pixellm/bundle";
import { ModelSession } from "@pixellm/engine";
import {
  type ReferenceModel,
  decodeLowResMasks,
  embedTokens,
  encodeImage,
  fuseSegTokens,
  runLlm,
  textHiddenFcs,
} from "@pixellm/reference";
import { type HostTensor, NormalStream, float32Tensor, int64Tensor } from "@pixellm/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadReference, maxAbsDiff } from "../support/reference-model";
import { makeTinyBundle } from "../support/tiny-bundle";

const TOLERANCE = 1e-4;
const IMAGE = 448;

let reference: ReferenceModel;
let sessions: Record<"vision" | "embed" | "llm" | "decoder", ModelSession>;

beforeAll(async () => {
  const tiny = await makeTinyBundle({ seed: 3 });
  reference = await loadReference(tiny.checkpointDir, tiny.visionTowerDir);
  const bundle = await loadBundle(tiny.bundleDir);
  const open = (graph: "vision" | "embed" | "llm" | "decoder") =>
    ModelSession.create(graph, bundle.graphPath(graph), bundle.manifest.graphs[graph], { provider: "cpu" });
  sessions = {
    vision: await open("vision"),
    embed: await open("embed"),
    llm: await open("llm"),
    decoder: await open("decoder"),
  };
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(sessions ?? {}).map((s) => s.release()));
});

function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  new NormalStream(seed).fill(out, scale);
  return out;
}

/** A normalised, zero-padded canvas with an image of h'×w' in its top-left corner. */
function canvas(h: number, w: number, seed: number): Float32Array {
  const values = randomValues(3 * IMAGE * IMAGE, seed);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < IMAGE; y++)
      for (let x = 0; x < IMAGE; x++) if (y >= h || x >= w) values[(c * IMAGE + y) * IMAGE + x] = 0;
  return values;
}

describe("graphs vs the reference forward", () => {
  const images: [number, number][] = [
    [448, 300],
    [211, 448],
  ];
  let features: Float32Array[] = [];

  it("vision.onnx: image embeddings, image-token mask and decoder features (batch of 2, padded differently)", async () => {
    const pixels = images.map(([h, w], i) => canvas(h, w, 100 + i));
    const batch = new Float32Array(2 * 3 * IMAGE * IMAGE);
    pixels.forEach((p, i) => batch.set(p, i * p.length));
    const out = await sessions.vision.run({
      pixel_values: float32Tensor([2, 3, IMAGE, IMAGE], batch),
      resized_hw: int64Tensor([2, 2], images.flat()),
    });
    const embeds = (out.image_embeds as HostTensor<"float32">).data;
    const mask = (out.image_mask as HostTensor<"int64">).data;
    const feats = (out.decoder_features as HostTensor<"float32">).data;
    const H = reference.config.hidden_size;
    const featureLength = feats.length / 2;
    features = [];
    images.forEach((resized, i) => {
      const ref = encodeImage(reference, pixels[i]!, resized);
      expect(
        maxAbsDiff(embeds.subarray(i * 256 * H, (i + 1) * 256 * H), ref.imageEmbeds),
      ).toBeLessThanOrEqual(TOLERANCE);
      expect(Array.from(mask.subarray(i * 256, (i + 1) * 256), Number)).toEqual(
        Array.from(ref.imageTokenMask),
      );
      const own = feats.subarray(i * featureLength, (i + 1) * featureLength);
      expect(maxAbsDiff(own, ref.decoderFeatures)).toBeLessThanOrEqual(TOLERANCE);
      features.push(own.slice());
    });
    // the padding really is masked: the two images differ in their valid token counts
    expect(Array.from(mask.subarray(0, 256)).filter((m) => m === 1n).length).toBe(16 * 11);
    expect(Array.from(mask.subarray(256)).filter((m) => m === 1n).length).toBe(8 * 16);
  });

  it("embed.onnx: token embeddings", async () => {
    const ids = [1, 5, 17, 300, reference.config.vocab_size - 1];
    const out = await sessions.embed.run({ input_ids: int64Tensor([1, ids.length], ids) });
    expect(
      maxAbsDiff((out.inputs_embeds as HostTensor<"float32">).data, embedTokens(reference.llm, ids)),
    ).toBe(0);
  });

  it("llm.onnx: hidden states of every position and last-position logits, with masked keys", async () => {
    const H = reference.config.hidden_size;
    const T = 40;
    const embeds = randomValues(T * H, 7);
    const mask = Uint8Array.from({ length: T }, (_, t) => (t >= 10 && t < 20 ? 0 : 1));
    const feeds: Record<string, HostTensor> = {
      inputs_embeds: float32Tensor([1, T, H], embeds),
      attention_mask: int64Tensor([1, T], Array.from(mask)),
      position_ids: int64Tensor([1, T], [...Array(T).keys()]),
      logits_index: int64Tensor([1], [T - 1]),
    };
    const emptyPast = [1, reference.config.num_key_value_heads, 0, H / reference.config.num_attention_heads];
    for (let i = 0; i < reference.config.num_hidden_layers; i++) {
      feeds[`past_key_values.${i}.key`] = float32Tensor(emptyPast);
      feeds[`past_key_values.${i}.value`] = float32Tensor(emptyPast);
    }
    const out = await sessions.llm.run(feeds);
    const ref = runLlm(reference.llm, embeds, mask);
    expect(maxAbsDiff((out.last_hidden as HostTensor<"float32">).data, ref.hidden)).toBeLessThanOrEqual(
      TOLERANCE,
    );
    const V = reference.config.vocab_size;
    expect(
      maxAbsDiff((out.logits as HostTensor<"float32">).data, ref.logits.subarray((T - 1) * V)),
    ).toBeLessThanOrEqual(TOLERANCE);
  });

  it("decoder.onnx: mask logits for targets of two images in one run", async () => {
    const H = reference.config.hidden_size;
    const D = reference.config.out_dim;
    const targetImage = [0, 1, 1];
    const hidden = randomValues(targetImage.length * 6 * H, 9);
    const featureBatch = new Float32Array(2 * features[0]!.length);
    features.forEach((f, i) => featureBatch.set(f, i * f.length));
    const out = await sessions.decoder.run({
      seg_hidden: float32Tensor([targetImage.length, 6, H], hidden),
      decoder_features: float32Tensor([2, 2, D, 32, 32], featureBatch),
      target_image: int64Tensor([targetImage.length], targetImage),
    });
    const logits = (out.low_res_masks as HostTensor<"float32">).data;
    targetImage.forEach((image, n) => {
      const prompts = fuseSegTokens(
        textHiddenFcs(reference.decoder, hidden.subarray(n * 6 * H, (n + 1) * 6 * H), 6),
        D,
        3,
      );
      const ref = decodeLowResMasks(reference.decoder, prompts, features[image]!, 32);
      expect(maxAbsDiff(logits.subarray(n * 128 * 128, (n + 1) * 128 * 128), ref)).toBeLessThanOrEqual(
        TOLERANCE,
      );
    });
  });
});

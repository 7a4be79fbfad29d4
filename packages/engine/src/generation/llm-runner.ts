/**
 * Runs the embed and llm graphs for the generation stage: prefill of new sequences (left-padded
 * into one batch, image embeddings spliced in at the placeholder) and one decode step of the
 * running batch. Shapes follow the bundle manifest; see packages/model/src/graphs/llm-graph.ts.
 */
import {
  type BundleManifest,
  pastKeyName,
  pastValueName,
  presentKeyName,
  presentValueName,
} from "@pixellm/bundle";
import { type HostTensor, float32Tensor, int64Tensor, makeTensor } from "@pixellm/tensor";
import { EngineError } from "@pixellm/errors";
import type { ModelSession, SessionValue } from "../runtime/model-session";
import type { KvBatch, KvShape, LayerTensors } from "./kv-batch";

export interface ModelDims {
  readonly hidden: number;
  readonly vocab: number;
  readonly imageTokens: number;
  readonly maxPositions: number;
  readonly imageTokenIndex: number;
  readonly kv: KvShape;
}

export function modelDims(manifest: BundleManifest): ModelDims {
  const c = manifest.config;
  return {
    hidden: c.hidden_size,
    vocab: c.vocab_size,
    imageTokens: manifest.geometry.llmImageTokens,
    maxPositions: c.max_position_embeddings,
    imageTokenIndex: manifest.tokens.imageTokenIndex,
    kv: {
      layers: c.num_hidden_layers,
      kvHeads: c.num_key_value_heads,
      headDim: c.hidden_size / c.num_attention_heads,
      dtype: manifest.dtype,
    },
  };
}

/** One sequence to prefill: its embeddings and per-position key mask. */
export interface PrefillRow {
  /** float32[E·H] */
  readonly embeds: Float32Array;
  /** [E]: 1 = attend, 0 = padded image token */
  readonly keyMask: readonly number[];
}

export interface RunOutput {
  readonly present: LayerTensors;
  /** float32[B·V]: next-token logits of each row's last position */
  readonly logits: Float32Array;
  /** float32[B·S·H]: final-norm hidden states */
  readonly hidden: Float32Array;
  /** S: positions per row in `hidden` */
  readonly positions: number;
}

/**
 * What the scheduler needs from a model: splice a prompt, prefill rows, step a batch. LlmRunner
 * is the onnxruntime implementation; scheduler tests use a deterministic fake.
 */
export interface SequenceModel {
  readonly dims: ModelDims;
  spliceImage(
    ids: readonly number[],
    imageEmbeds: Float32Array,
    imageMask: ArrayLike<number>,
  ): Promise<PrefillRow>;
  prefill(rows: readonly PrefillRow[], emptyPast: LayerTensors): Promise<RunOutput>;
  step(batch: KvBatch, lastTokens: readonly number[]): Promise<RunOutput>;
}

/**
 * Where a prompt's image goes, checked against the model (any SequenceModel's splice): the index
 * of its one placeholder id, and the embedded sequence's key mask (1 for text, the image-token
 * mask for the image).
 */
export function imageSplice(
  ids: readonly number[],
  imageEmbeds: Float32Array,
  imageMask: ArrayLike<number>,
  dims: ModelDims,
): { readonly at: number; readonly keyMask: number[] } {
  const { hidden: H, imageTokens, imageTokenIndex } = dims;
  const at = ids.indexOf(imageTokenIndex);
  if (at < 0 || ids.indexOf(imageTokenIndex, at + 1) >= 0) {
    throw new EngineError(
      "invalid_argument",
      `the prompt must hold exactly one image placeholder (${imageTokenIndex})`,
    );
  }
  if (imageEmbeds.length !== imageTokens * H || imageMask.length !== imageTokens) {
    throw new EngineError(
      "invalid_argument",
      `image embeddings must be [${imageTokens},${H}] with a [${imageTokens}] mask`,
    );
  }
  const keyMask = [
    ...Array<number>(at).fill(1),
    ...Array.from(imageMask, Number),
    ...Array<number>(ids.length - 1 - at).fill(1),
  ];
  return { at, keyMask };
}

export class LlmRunner implements SequenceModel {
  private readonly presentNames: string[];
  private readonly pastNames: string[];
  private readonly keepPresent: ReadonlySet<string>;

  constructor(
    private readonly embed: ModelSession,
    private readonly llm: ModelSession,
    readonly dims: ModelDims,
  ) {
    const layers = Array.from({ length: dims.kv.layers }, (_, i) => i);
    this.pastNames = layers.flatMap((i) => [pastKeyName(i), pastValueName(i)]);
    this.presentNames = layers.flatMap((i) => [presentKeyName(i), presentValueName(i)]);
    this.keepPresent = new Set(this.presentNames);
  }

  /** Token embeddings of one row of ids. out: float32[n·H] */
  async embedIds(ids: readonly number[]): Promise<Float32Array> {
    const out = await this.embed.run({ input_ids: int64Tensor([1, ids.length], ids) });
    return (out.inputs_embeds as HostTensor<"float32">).data;
  }

  /**
   * The embedded sequence of a prompt: text embeddings with the image's embeddings in place of
   * the -200 id, and its key mask.
   */
  async spliceImage(
    ids: readonly number[],
    imageEmbeds: Float32Array,
    imageMask: ArrayLike<number>,
  ): Promise<PrefillRow> {
    const { at, keyMask } = imageSplice(ids, imageEmbeds, imageMask, this.dims);
    const { hidden: H, imageTokens } = this.dims;
    const text = await this.embedIds(ids.filter((_, i) => i !== at));
    const embeds = new Float32Array(keyMask.length * H);
    embeds.set(text.subarray(0, at * H), 0);
    embeds.set(imageEmbeds, at * H);
    embeds.set(text.subarray(at * H), (at + imageTokens) * H);
    return { embeds, keyMask };
  }

  /** Prefills rows together, left-padded to the longest; `past` are zero-length tensors. */
  async prefill(rows: readonly PrefillRow[], emptyPast: LayerTensors): Promise<RunOutput> {
    const H = this.dims.hidden;
    const S = Math.max(...rows.map((r) => r.keyMask.length));
    const embeds = new Float32Array(rows.length * S * H);
    const mask = new BigInt64Array(rows.length * S);
    const positions = new BigInt64Array(rows.length * S);
    rows.forEach((row, r) => {
      const pad = S - row.keyMask.length;
      embeds.set(row.embeds, (r * S + pad) * H);
      row.keyMask.forEach((m, t) => {
        mask[r * S + pad + t] = BigInt(m);
        positions[r * S + pad + t] = BigInt(t);
      });
    });
    return this.run(
      float32Tensor([rows.length, S, H], embeds),
      makeTensor("int64", [rows.length, S], mask),
      makeTensor("int64", [rows.length, S], positions),
      emptyPast,
    );
  }

  /** One decode step of the whole batch: each row's last token in, next-token logits out. */
  async step(batch: KvBatch, lastTokens: readonly number[]): Promise<RunOutput> {
    // out: inputs_embeds float32[B,1,H]
    const embeds = await this.embed.run({ input_ids: int64Tensor([lastTokens.length, 1], lastTokens) });
    return this.run(
      embeds.inputs_embeds as HostTensor<"float32">,
      batch.stepAttentionMask(),
      int64Tensor([lastTokens.length, 1], batch.nextPositions()),
      batch.pastTensors(),
    );
  }

  private async run(
    embeds: HostTensor,
    mask: HostTensor,
    positions: HostTensor,
    past: LayerTensors,
  ): Promise<RunOutput> {
    const feeds: Record<string, SessionValue> = {
      inputs_embeds: embeds,
      attention_mask: mask,
      position_ids: positions,
    };
    this.pastNames.forEach((name, i) => (feeds[name] = past[i]!));
    const out = await this.llm.run(feeds, this.keepPresent);
    return {
      present: this.presentNames.map((name) => out[name]!),
      logits: (out.logits as HostTensor<"float32">).data,
      hidden: (out.last_hidden as HostTensor<"float32">).data,
      positions: embeds.shape[1]!,
    };
  }
}

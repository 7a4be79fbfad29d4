/**
 * What the generation scheduler needs from a model: prefill new sequences, keep the ones that go
 * on in the running batch, step the batch, drop rows. The model owns the batch's KV cache (its
 * rows are the scheduler's sequence ids), so the cache never leaves the thread and device that
 * run the graphs. LlmRunner is the onnxruntime implementation, LlmWorker the same in a worker
 * thread; scheduler tests use a deterministic fake.
 */
import type { BundleManifest } from "@pixellm/bundle";
import type { HostTensor } from "@pixellm/tensor";
import { EngineError } from "@pixellm/errors";
import type { KvShape } from "./kv/kv-store";

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

/** One new sequence to prefill. */
export interface PrefillInput {
  /** The scheduler's id of the sequence: join, step and remove refer to its row by it. */
  readonly id: number;
  /** Prompt ids with exactly one image placeholder (then the answer, when teacher-forced). */
  readonly ids: readonly number[];
  /** float32[256,H] */
  readonly imageEmbeds: HostTensor<"float32">;
  /** uint8[256]: 1 = attend, 0 = padded image token */
  readonly imageMask: HostTensor<"uint8">;
}

export interface RunOutput {
  /** float32[B·V]: next-token logits of each row, at its last position */
  readonly logits: Float32Array;
  /** float32[B·S·H]: final-norm hidden states, each row from position 0 */
  readonly hidden: Float32Array;
  /** S: positions per row in `hidden` */
  readonly positions: number;
}

export interface StepOutput extends RunOutput {
  /** The sequence of each row, in row order. */
  readonly rowIds: readonly number[];
}

export interface SequenceModel {
  readonly dims: ModelDims;
  /** Prefills new sequences together (rows in the given order); none joins the batch yet. */
  prefill(rows: readonly PrefillInput[]): Promise<RunOutput>;
  /** Sequences of the last prefill that go on decoding: their caches join the running batch. */
  join(ids: readonly number[]): Promise<void>;
  /** One decode step of every row: each sequence's last token in, rows in `rowIds` order out. */
  step(lastTokens: ReadonlyMap<number, number>): Promise<StepOutput>;
  /** Drops rows (finished, cancelled, failed); ids without a row are ignored. */
  remove(ids: ReadonlySet<number>): Promise<void>;
  /** KV positions the running batch holds (rows × cache width). */
  kvTokens(): number;
}

/**
 * Where a prompt's image goes, checked against the model: the index of its one placeholder id,
 * and the embedded sequence's key mask (1 for text, the image-token mask for the image).
 */
export function imageSplice(
  ids: readonly number[],
  imageEmbeds: HostTensor<"float32">,
  imageMask: HostTensor<"uint8">,
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
  const [tokens, width] = imageEmbeds.shape;
  if (
    imageEmbeds.shape.length !== 2 ||
    tokens !== imageTokens ||
    width !== H ||
    imageMask.shape.length !== 1 ||
    imageMask.shape[0] !== imageTokens
  ) {
    throw new EngineError(
      "invalid_argument",
      `image embeddings must be [${imageTokens},${H}] with a [${imageTokens}] mask, got [${imageEmbeds.shape.join(",")}] and [${imageMask.shape.join(",")}]`,
    );
  }
  const keyMask = [
    ...Array<number>(at).fill(1),
    ...Array.from(imageMask.data, Number),
    ...Array<number>(ids.length - 1 - at).fill(1),
  ];
  return { at, keyMask };
}

/**
 * Runs the embed and llm graphs for the generation stage (the SequenceModel on onnxruntime):
 * prefill of new sequences (right-padded into one batch, image embeddings spliced in at the
 * placeholder) and one decode step of the running batch, whose KV cache a KvBatch keeps in a
 * store of the provider's kind. Shapes follow packages/model/src/graphs/llm-graph.ts.
 */
import { newKeyName, newValueName, pastKeyName, pastValueName } from "@pixellm/bundle";
import { type HostTensor, float32Tensor, int64Tensor, makeTensor } from "@pixellm/tensor";
import { EngineError } from "@pixellm/errors";
import type { ModelSession, SessionValue } from "../runtime/model-session";
import { KvBatch, type KvRow, PREFILL_PAST } from "./kv/kv-batch";
import type { KvStore, LayerTensors } from "./kv/kv-store";
import {
  type ModelDims,
  type PrefillInput,
  type RunOutput,
  type SequenceModel,
  type StepOutput,
  imageSplice,
} from "./sequence-model";

/** A prefill's rows and their new keys and values, until `join` takes the rows that go on. */
interface Prefilled {
  readonly rows: readonly KvRow[];
  readonly fresh: LayerTensors;
}

export class LlmRunner implements SequenceModel {
  private readonly pastNames: string[];
  private readonly newNames: string[];
  private readonly keepOnDevice: ReadonlySet<string>;
  private readonly batch: KvBatch;
  private prefilled: Prefilled | undefined;

  constructor(
    private readonly embed: ModelSession,
    private readonly llm: ModelSession,
    readonly dims: ModelDims,
    store: KvStore,
    /** Positions the store holds (the KV budget). */
    capacityTokens: number,
  ) {
    const layers = Array.from({ length: dims.kv.layers }, (_, i) => i);
    this.pastNames = layers.flatMap((i) => [pastKeyName(i), pastValueName(i)]);
    this.newNames = layers.flatMap((i) => [newKeyName(i), newValueName(i)]);
    this.keepOnDevice = new Set(this.newNames);
    this.batch = new KvBatch(dims.kv, store, capacityTokens);
  }

  kvTokens(): number {
    return this.batch.tokens;
  }

  /** Right-padded rows: row r's positions 0…len−1, its logits at len−1; nothing cached yet. */
  async prefill(rows: readonly PrefillInput[]): Promise<RunOutput> {
    const H = this.dims.hidden;
    const spliced = await Promise.all(rows.map((row) => this.embedded(row)));
    const S = Math.max(...spliced.map((r) => r.keyMask.length));
    const maskWidth = PREFILL_PAST + S;
    const embeds = new Float32Array(rows.length * S * H);
    const mask = new BigInt64Array(rows.length * maskWidth);
    const positions = new BigInt64Array(rows.length * S);
    spliced.forEach((row, r) => {
      embeds.set(row.embeds, r * S * H);
      row.keyMask.forEach((m, t) => {
        mask[r * maskWidth + PREFILL_PAST + t] = BigInt(m);
        positions[r * S + t] = BigInt(t);
      });
    });
    this.prefilled = undefined;
    const out = await this.run(
      float32Tensor([rows.length, S, H], embeds),
      makeTensor("int64", [rows.length, maskWidth], mask),
      makeTensor("int64", [rows.length, S], positions),
      spliced.map((r) => r.keyMask.length - 1),
      this.batch.prefillPast(rows.length),
    );
    this.prefilled = {
      rows: rows.map((row, r) => ({ id: row.id, keyMask: spliced[r]!.keyMask })),
      fresh: out.fresh,
    };
    return out.output;
  }

  async join(ids: readonly number[]): Promise<void> {
    const prefilled = this.prefilled;
    const sources = ids.map((id) => prefilled?.rows.findIndex((row) => row.id === id) ?? -1);
    if (!prefilled || sources.some((s) => s < 0))
      throw new EngineError("internal", `sequences ${ids.join(",")} were not in the last prefill`);
    this.prefilled = undefined;
    await this.batch.join(
      sources.map((s) => prefilled.rows[s]!),
      prefilled.fresh,
      sources,
    );
  }

  async step(lastTokens: ReadonlyMap<number, number>): Promise<StepOutput> {
    const rowIds = this.batch.rowIds;
    const tokens = rowIds.map((id) => lastTokens.get(id));
    if (tokens.some((t) => t === undefined) || lastTokens.size !== rowIds.length)
      throw new EngineError("internal", `a step needs one token for each of rows ${rowIds.join(",")}`);
    // out: inputs_embeds float32[B,1,H]
    const embeds = await this.embed.run({ input_ids: int64Tensor([rowIds.length, 1], tokens as number[]) });
    const feeds = await this.batch.stepFeeds();
    const out = await this.run(
      embeds.inputs_embeds as HostTensor<"float32">,
      feeds.attentionMask,
      feeds.positionIds,
      rowIds.map(() => 0),
      feeds.past,
    );
    await this.batch.advance(out.fresh);
    return { ...out.output, rowIds };
  }

  remove(ids: ReadonlySet<number>): Promise<void> {
    return this.batch.remove(ids);
  }

  /**
   * A prompt's embedded sequence: text embeddings with the image's in place of the placeholder
   * (float32[E·H]), and its key mask.
   */
  async embedded(row: PrefillInput): Promise<{ embeds: Float32Array; keyMask: number[] }> {
    const { at, keyMask } = imageSplice(row.ids, row.imageEmbeds, row.imageMask, this.dims);
    const { hidden: H, imageTokens } = this.dims;
    const textIds = row.ids.filter((_, i) => i !== at);
    // out: inputs_embeds float32[1,n,H]
    const text = (
      (await this.embed.run({ input_ids: int64Tensor([1, textIds.length], textIds) }))
        .inputs_embeds as HostTensor<"float32">
    ).data;
    const embeds = new Float32Array(keyMask.length * H);
    embeds.set(text.subarray(0, at * H), 0);
    embeds.set(row.imageEmbeds.data, at * H);
    embeds.set(text.subarray(at * H), (at + imageTokens) * H);
    return { embeds, keyMask };
  }

  private async run(
    embeds: HostTensor,
    mask: HostTensor,
    positions: HostTensor,
    logitsIndex: readonly number[],
    past: LayerTensors,
  ): Promise<{ output: RunOutput; fresh: LayerTensors }> {
    const feeds: Record<string, SessionValue> = {
      inputs_embeds: embeds,
      attention_mask: mask,
      position_ids: positions,
      logits_index: int64Tensor([logitsIndex.length], logitsIndex),
    };
    this.pastNames.forEach((name, i) => (feeds[name] = past[i]!));
    const out = await this.llm.run(feeds, this.keepOnDevice);
    return {
      output: {
        logits: (out.logits as HostTensor<"float32">).data,
        hidden: (out.last_hidden as HostTensor<"float32">).data,
        positions: embeds.shape[1]!,
      },
      fresh: this.newNames.map((name) => out[name]!),
    };
  }
}

/**
 * A deterministic SequenceModel for scheduler tests: no graphs, real host tensors of the
 * runner's shapes, values that say where they came from.
 *
 * - Every sequence has a tag: the first id of its prompt (tests give each sequence its own).
 * - KV (`present`, [n, kv_heads, S, head_dim]): each cached position holds
 *   [tag, position, 2·layer + (0 key | 1 value), head, key-mask bit]; padding holds -1s, as a
 *   real graph leaves garbage there. Each step checks the batch it is given (every row
 *   right-aligned, contiguous positions 0…len-1, attention mask = the cached mask bits, padding
 *   masked) and records what is wrong in `violations`; it reads each row's tag back from the KV,
 *   so a row whose cache was moved or mixed up decodes differently.
 * - Logits: one-hot at `next(tag, token, position)` for the token fed at a position.
 * - Hidden states: [tag, position, token id (-200 on image tokens), 1] per position; -1s on
 *   padding, so a gathered state says exactly which position it was taken from.
 */
import { type HostTensor, makeTensor, numel } from "@pixellm/tensor";
import {
  type KvBatch,
  type LayerTensors,
  type ModelDims,
  type PrefillRow,
  type RunOutput,
  type SequenceModel,
  imageSplice,
  toHost,
} from "../../src";

export const IMAGE_TOKEN = -200;
export const EOS = 2;
/** Six codebook ids, as [SEG0]…[SEG5]. */
export const SEG = [40, 41, 42, 43, 44, 45] as const;

/** KV channels (head_dim = 5): [tag, position, slot, head, attend]. */
const TAG = 0;
const ATTEND = 4;
const KV_CHANNELS = 5;
/** Hidden channels (hidden = 4). */
export const HIDDEN_TAG = 0;
export const HIDDEN_POSITION = 1;
export const HIDDEN_TOKEN = 2;
const HIDDEN = 4;

export interface FakeCall {
  /** 0-based over all prefills and steps. */
  readonly index: number;
  readonly kind: "prefill" | "step";
  /** Row tags in batch order. */
  readonly tags: readonly number[];
  /** prefill: each row's embedded length; step: each row's position id fed. */
  readonly positions: readonly number[];
  /** prefill: padded length S; step: past length P. */
  readonly width: number;
}

export type NextToken = (tag: number, token: number, position: number) => number;

export interface FakeModelOptions {
  readonly vocab?: number;
  readonly imageTokens?: number;
  readonly maxPositions?: number;
  readonly layers?: number;
  readonly kvHeads?: number;
  /** The token chosen after `token` is fed at `position` by the sequence tagged `tag`. */
  readonly next?: NextToken;
  /** Runs before each prefill and step (after it is logged): may throw, wait, move the clock, abort. */
  readonly beforeCall?: (call: FakeCall) => void | Promise<void>;
}

/** Never eos or a SEG id: 3…32. */
export const defaultNext: NextToken = (tag, token, position) => 3 + ((tag * 7 + token * 3 + position) % 30);

export class FakeModel implements SequenceModel {
  readonly dims: ModelDims;
  readonly calls: FakeCall[] = [];
  readonly violations: string[] = [];
  private readonly next: NextToken;
  private readonly beforeCall: FakeModelOptions["beforeCall"];

  constructor(options: FakeModelOptions = {}) {
    this.dims = {
      hidden: HIDDEN,
      vocab: options.vocab ?? 64,
      imageTokens: options.imageTokens ?? 256,
      maxPositions: options.maxPositions ?? 2048,
      imageTokenIndex: IMAGE_TOKEN,
      kv: {
        layers: options.layers ?? 2,
        kvHeads: options.kvHeads ?? 2,
        headDim: KV_CHANNELS,
        dtype: "float32",
      },
    };
    this.next = options.next ?? defaultNext;
    this.beforeCall = options.beforeCall;
  }

  /** Calls of one kind, e.g. the steps a tag took part in. */
  steps(): FakeCall[] {
    return this.calls.filter((c) => c.kind === "step");
  }

  prefills(): FakeCall[] {
    return this.calls.filter((c) => c.kind === "prefill");
  }

  /** Text ids in channel 0 of their embedding, -200 on image tokens (like LlmRunner's contract). */
  spliceImage(
    ids: readonly number[],
    imageEmbeds: Float32Array,
    imageMask: ArrayLike<number>,
  ): Promise<PrefillRow> {
    // A bad prompt or image rejects (the executor's throw), as LlmRunner's does.
    return new Promise((resolve) => {
      const { at, keyMask } = imageSplice(ids, imageEmbeds, imageMask, this.dims);
      const tokens = [
        ...ids.slice(0, at),
        ...Array<number>(this.dims.imageTokens).fill(IMAGE_TOKEN),
        ...ids.slice(at + 1),
      ];
      const embeds = new Float32Array(tokens.length * HIDDEN);
      tokens.forEach((id, t) => (embeds[t * HIDDEN] = id));
      resolve({ embeds, keyMask });
    });
  }

  async prefill(rows: readonly PrefillRow[], emptyPast: LayerTensors): Promise<RunOutput> {
    const { vocab } = this.dims;
    const S = Math.max(...rows.map((r) => r.keyMask.length));
    for (const past of emptyPast) {
      if (past.shape[0] !== rows.length || past.shape[2] !== 0)
        this.violations.push(`prefill past has shape [${past.shape.join(",")}]`);
    }
    const tags = rows.map((r) => r.embeds[0]!);
    await this.log(
      "prefill",
      tags,
      rows.map((r) => r.keyMask.length),
      S,
    );
    const present = this.kvTensors(rows.length, S);
    const logits = new Float32Array(rows.length * vocab);
    const hidden = new Float32Array(rows.length * S * HIDDEN).fill(-1);
    rows.forEach((row, r) => {
      const len = row.keyMask.length;
      const pad = S - len;
      for (let t = 0; t < len; t++) {
        const token = row.embeds[t * HIDDEN]!;
        hidden.set([tags[r]!, t, token, 1], (r * S + pad + t) * HIDDEN);
        this.writeKv(present, r, S, pad + t, [tags[r]!, t, row.keyMask[t]!]);
      }
      const last = row.embeds[(len - 1) * HIDDEN]!;
      logits[r * vocab + this.next(tags[r]!, last, len - 1)] = 1;
    });
    return { present, logits, hidden, positions: S };
  }

  async step(batch: KvBatch, lastTokens: readonly number[]): Promise<RunOutput> {
    const { vocab } = this.dims;
    const past = await Promise.all(batch.pastTensors().map(toHost));
    const mask = batch.stepAttentionMask();
    const positions = batch.nextPositions();
    const B = lastTokens.length;
    const P = batch.pastLength;
    if (batch.size !== B || positions.length !== B)
      this.violations.push(`step: ${B} tokens for ${batch.size} rows`);
    const tags = positions.map((_, r) => this.check(past, mask, r, P, positions[r]!));
    await this.log("step", tags, positions, P);
    const present = this.kvTensors(B, P + 1);
    const logits = new Float32Array(B * vocab);
    const hidden = new Float32Array(B * HIDDEN);
    for (let r = 0; r < B; r++) {
      for (let i = 0; i < present.length; i++) {
        const src = past[i]!.data as Float32Array;
        const dst = present[i]!.data;
        for (let h = 0; h < this.dims.kv.kvHeads; h++) {
          const from = (r * this.dims.kv.kvHeads + h) * P * KV_CHANNELS;
          const to = (r * this.dims.kv.kvHeads + h) * (P + 1) * KV_CHANNELS;
          dst.set(src.subarray(from, from + P * KV_CHANNELS), to);
        }
      }
      this.writeKv(present, r, P + 1, P, [tags[r]!, positions[r]!, 1]);
      hidden.set([tags[r]!, positions[r]!, lastTokens[r]!, 1], r * HIDDEN);
      logits[r * vocab + this.next(tags[r]!, lastTokens[r]!, positions[r]!)] = 1;
    }
    return { present, logits, hidden, positions: 1 };
  }

  private async log(
    kind: FakeCall["kind"],
    tags: number[],
    positions: number[],
    width: number,
  ): Promise<void> {
    const call: FakeCall = { index: this.calls.length, kind, tags, positions, width };
    this.calls.push(call);
    await this.beforeCall?.(call);
  }

  /** Checks row r of a step's past and mask; returns the row's tag as its cache says. */
  private check(past: HostTensor[], mask: HostTensor, r: number, P: number, len: number): number {
    const { kvHeads, layers } = this.dims.kv;
    const m = mask.data as BigInt64Array;
    const width = P + 1;
    const where = `step ${this.calls.length} row ${r}`;
    if (mask.shape[1] !== width) this.violations.push(`${where}: mask width ${mask.shape[1]} for past ${P}`);
    if (len > P) this.violations.push(`${where}: length ${len} > past ${P}`);
    const pad = P - len;
    const tag = (past[0]!.data as Float32Array)[((r * kvHeads + 0) * P + P - 1) * KV_CHANNELS + TAG]!;
    for (let p = 0; p < pad; p++)
      if (m[r * width + p] !== 0n) this.violations.push(`${where}: padding ${p} attended`);
    if (m[r * width + P] !== 1n) this.violations.push(`${where}: new position not attended`);
    for (let i = 0; i < 2 * layers; i++) {
      const data = past[i]!.data as Float32Array;
      for (let h = 0; h < kvHeads; h++) {
        for (let t = 0; t < len; t++) {
          const at = ((r * kvHeads + h) * P + pad + t) * KV_CHANNELS;
          const got = Array.from(data.subarray(at, at + KV_CHANNELS));
          const want = [tag, t, i, h];
          if (want.some((v, c) => got[c] !== v)) {
            this.violations.push(`${where} kv ${i} head ${h} position ${t}: [${got.join(",")}]`);
            return tag;
          }
          if (BigInt(got[ATTEND]!) !== m[r * width + pad + t])
            this.violations.push(
              `${where}: mask at ${t} is ${m[r * width + pad + t]}, cached bit ${got[ATTEND]}`,
            );
        }
      }
    }
    return tag;
  }

  private kvTensors(batch: number, length: number): HostTensor<"float32">[] {
    const shape = [batch, this.dims.kv.kvHeads, length, KV_CHANNELS];
    return Array.from({ length: 2 * this.dims.kv.layers }, () =>
      makeTensor("float32", shape, new Float32Array(numel(shape)).fill(-1)),
    );
  }

  /** Writes [tag, position, slot, head, attend] at (row, every head, at) of every layer's k and v. */
  private writeKv(
    tensors: HostTensor<"float32">[],
    row: number,
    length: number,
    at: number,
    [tag, position, attend]: [number, number, number],
  ): void {
    const { kvHeads } = this.dims.kv;
    tensors.forEach((tensor, slot) => {
      for (let h = 0; h < kvHeads; h++) {
        const start = ((row * kvHeads + h) * length + at) * KV_CHANNELS;
        tensor.data.set([tag, position, slot, h, attend], start);
      }
    });
  }
}

/** Channel values of KV entry (row, slot, head, position) of a batch's past tensors. */
export function kvEntry(
  tensors: LayerTensors,
  slot: number,
  row: number,
  head: number,
  position: number,
): number[] {
  const t = tensors[slot] as HostTensor<"float32">;
  const [, heads, P] = t.shape as [number, number, number, number];
  const at = ((row * heads + head) * P + position) * KV_CHANNELS;
  return Array.from(t.data.subarray(at, at + KV_CHANNELS));
}

/**
 * A deterministic SequenceModel for scheduler tests: no graphs, a batch of rows it keeps itself
 * (as the real runner keeps its KV cache), values that say where they came from.
 *
 * - Every sequence has a tag: the first id of its prompt (tests give each sequence its own).
 * - Logits: one-hot at `next(tag, token, position)` for the token fed at a position; a row's
 *   position is its own length, so a sequence mixed up with another, or stepped without its
 *   row, decodes differently.
 * - Hidden states: [tag, position, token id (-200 on image tokens), 1] per position, rows from
 *   position 0; -1s on padding, so a gathered state says exactly which position it came from.
 * - Each call checks the protocol (joins name rows of the last prefill, a step gets one token
 *   for each row and no other, no row joins twice) and records what is wrong in `violations`.
 */
import {
  type ModelDims,
  type PrefillInput,
  type RunOutput,
  type SequenceModel,
  type StepOutput,
  imageSplice,
} from "../../src";

export const IMAGE_TOKEN = -200;
export const EOS = 2;
/** Six codebook ids, as [SEG0]…[SEG5]. */
export const SEG = [40, 41, 42, 43, 44, 45] as const;

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
  /** prefill: padded length S; step: the longest row's cached length. */
  readonly width: number;
}

export type NextToken = (tag: number, token: number, position: number) => number;

export interface FakeModelOptions {
  readonly vocab?: number;
  readonly imageTokens?: number;
  readonly maxPositions?: number;
  /** The token chosen after `token` is fed at `position` by the sequence tagged `tag`. */
  readonly next?: NextToken;
  /** Runs before each prefill and step (after it is logged): may throw, wait, move the clock, abort. */
  readonly beforeCall?: (call: FakeCall) => void | Promise<void>;
}

/** Never eos or a SEG id: 3…32. */
export const defaultNext: NextToken = (tag, token, position) => 3 + ((tag * 7 + token * 3 + position) % 30);

interface Row {
  readonly id: number;
  readonly tag: number;
  /** Cached positions. */
  length: number;
}

export class FakeModel implements SequenceModel {
  readonly dims: ModelDims;
  readonly calls: FakeCall[] = [];
  readonly violations: string[] = [];
  private readonly next: NextToken;
  private readonly beforeCall: FakeModelOptions["beforeCall"];
  private rows: Row[] = [];
  private prefilled: Row[] = [];

  constructor(options: FakeModelOptions = {}) {
    this.dims = {
      hidden: HIDDEN,
      vocab: options.vocab ?? 64,
      imageTokens: options.imageTokens ?? 256,
      maxPositions: options.maxPositions ?? 2048,
      imageTokenIndex: IMAGE_TOKEN,
      kv: { layers: 2, kvHeads: 2, headDim: 5, dtype: "float32" },
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

  /** Rows × the longest row (what a right-padded cache would hold). */
  kvTokens(): number {
    return this.rows.length * Math.max(0, ...this.rows.map((r) => r.length));
  }

  /** Text ids in channel 0 of their embedding, -200 on image tokens (the runner's splice). */
  async prefill(inputs: readonly PrefillInput[]): Promise<RunOutput> {
    const { vocab } = this.dims;
    const spliced = inputs.map((input) => {
      const { at } = imageSplice(input.ids, input.imageEmbeds, input.imageMask, this.dims);
      return [
        ...input.ids.slice(0, at),
        ...Array<number>(this.dims.imageTokens).fill(IMAGE_TOKEN),
        ...input.ids.slice(at + 1),
      ];
    });
    const S = Math.max(...spliced.map((tokens) => tokens.length));
    const tags = inputs.map((input) => input.ids[0]!);
    await this.log(
      "prefill",
      tags,
      spliced.map((tokens) => tokens.length),
      S,
    );
    const logits = new Float32Array(inputs.length * vocab);
    const hidden = new Float32Array(inputs.length * S * HIDDEN).fill(-1);
    spliced.forEach((tokens, r) => {
      tokens.forEach((token, t) => hidden.set([tags[r]!, t, token, 1], (r * S + t) * HIDDEN));
      logits[r * vocab + this.next(tags[r]!, tokens[tokens.length - 1]!, tokens.length - 1)] = 1;
    });
    this.prefilled = inputs.map((input, r) => ({ id: input.id, tag: tags[r]!, length: spliced[r]!.length }));
    return { logits, hidden, positions: S };
  }

  join(ids: readonly number[]): Promise<void> {
    for (const id of ids) {
      const row = this.prefilled.find((r) => r.id === id);
      if (!row) this.violations.push(`join: ${id} was not in the last prefill`);
      else if (this.rows.some((r) => r.id === id)) this.violations.push(`join: ${id} already has a row`);
      else this.rows.push({ ...row });
    }
    return Promise.resolve();
  }

  async step(lastTokens: ReadonlyMap<number, number>): Promise<StepOutput> {
    const { vocab } = this.dims;
    const where = `step ${this.calls.length}`;
    if (lastTokens.size !== this.rows.length || this.rows.some((r) => !lastTokens.has(r.id)))
      this.violations.push(
        `${where}: tokens for [${[...lastTokens.keys()].join(",")}], rows [${this.rows.map((r) => r.id).join(",")}]`,
      );
    const rows = [...this.rows];
    await this.log(
      "step",
      rows.map((r) => r.tag),
      rows.map((r) => r.length),
      Math.max(...rows.map((r) => r.length)),
    );
    const logits = new Float32Array(rows.length * vocab);
    const hidden = new Float32Array(rows.length * HIDDEN);
    rows.forEach((row, r) => {
      const token = lastTokens.get(row.id) ?? -1;
      hidden.set([row.tag, row.length, token, 1], r * HIDDEN);
      logits[r * vocab + this.next(row.tag, token, row.length)] = 1;
      row.length++;
    });
    return { logits, hidden, positions: 1, rowIds: rows.map((r) => r.id) };
  }

  remove(ids: ReadonlySet<number>): Promise<void> {
    this.rows = this.rows.filter((r) => !ids.has(r.id));
    return Promise.resolve();
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
}

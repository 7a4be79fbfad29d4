/**
 * The KV caches of the sequences decoding together, one [B, kv_heads, P, head_dim] tensor per
 * layer and per key/value, rows right-aligned (left-padded) to a common past length P. Each
 * row keeps its own key mask, so padding and the padded image tokens stay masked at every step.
 *
 * Between steps the batch changes only here: rows join after their prefill and leave when they
 * finish; both rebuild the tensors on the host (and trim padding every row has). Steps in
 * between feed the graph's `present` outputs straight back as `past`, wherever they live.
 */
import { type HostTensor, type TypedArrayOf, makeTensor, numel } from "@pixellm/tensor";
import { type SessionValue, toHost } from "../runtime/model-session";

export interface KvShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly dtype: "float32" | "float16";
}

export interface KvRow {
  readonly id: number;
  /** 1 per cached position the row may attend (0 for its padded image tokens), length = its length. */
  readonly keyMask: number[];
}

/** present.{i}.key / .value of a run, in layer order: [key0, value0, key1, value1, …]. */
export type LayerTensors = readonly SessionValue[];

type KvArray = TypedArrayOf<"float32" | "float16">;

export class KvBatch {
  private rows: KvRow[] = [];
  private tensors: SessionValue[] = [];
  private past = 0;

  constructor(private readonly shape: KvShape) {}

  get size(): number {
    return this.rows.length;
  }

  get pastLength(): number {
    return this.past;
  }

  get rowIds(): number[] {
    return this.rows.map((r) => r.id);
  }

  /** Feeds for the next step: past_key_values.{i}.key/value. */
  pastTensors(): LayerTensors {
    return this.tensors.length > 0 ? this.tensors : this.emptyTensors(this.rows.length);
  }

  /** Zero-length pasts for a prefill of `batch` rows. */
  emptyTensors(batch: number): LayerTensors {
    const { kvHeads, headDim } = this.shape;
    return Array.from({ length: 2 * this.shape.layers }, () => this.zeros([batch, kvHeads, 0, headDim]));
  }

  /** int64[B, P+1]: each row's key mask right-aligned, then the new position (always attended). */
  stepAttentionMask(): HostTensor<"int64"> {
    const width = this.past + 1;
    const mask = new BigInt64Array(this.rows.length * width);
    this.rows.forEach((row, r) => {
      const start = r * width + (this.past - row.keyMask.length);
      row.keyMask.forEach((m, t) => (mask[start + t] = BigInt(m)));
      mask[r * width + this.past] = 1n;
    });
    return makeTensor("int64", [this.rows.length, width], mask);
  }

  /** Next position id of each row (its own length; padding does not count). */
  nextPositions(): number[] {
    return this.rows.map((r) => r.keyMask.length);
  }

  /** After a decode step: `present` holds P+1 positions; every row attended its new token. */
  advance(present: LayerTensors): void {
    this.tensors = [...present];
    this.past += 1;
    for (const row of this.rows) row.keyMask.push(1);
  }

  /**
   * Adds rows from a prefill whose `present` tensors are [n, kv_heads, S, head_dim] with each row
   * right-aligned: `rows[i]` comes from prefill row `sourceRows[i]`, and its keyMask has that
   * row's real length (rows that finished at their first token are simply not listed).
   */
  async join(rows: readonly KvRow[], present: LayerTensors, sourceRows: readonly number[]): Promise<void> {
    const incoming = await Promise.all(present.map(toHost));
    const prefillLength = incoming[0]!.shape[2]!;
    const current = await Promise.all(this.tensors.map(toHost));
    const past = Math.max(this.past, ...rows.map((r) => r.keyMask.length));
    const all = [...this.rows, ...rows];
    this.tensors = incoming.map((newTensor, layer) => {
      const out = this.zeros([all.length, this.shape.kvHeads, past, this.shape.headDim]);
      this.rows.forEach((row, r) =>
        this.copyRow(current[layer]!, r, this.past, out, r, past, row.keyMask.length),
      );
      rows.forEach((row, i) =>
        this.copyRow(
          newTensor,
          sourceRows[i]!,
          prefillLength,
          out,
          this.rows.length + i,
          past,
          row.keyMask.length,
        ),
      );
      return out;
    });
    this.rows = all.map((r) => ({ id: r.id, keyMask: [...r.keyMask] }));
    this.past = past;
  }

  /** Drops rows (finished, cancelled, past their deadline) and trims padding all rows share. */
  async remove(ids: ReadonlySet<number>): Promise<void> {
    if (ids.size === 0) return;
    const keep = this.rows.map((row, r) => ({ row, r })).filter(({ row }) => !ids.has(row.id));
    // None of ours (e.g. a failed prefill's rows): no copy of the whole cache to the host.
    if (keep.length === this.rows.length) return;
    if (keep.length === 0) {
      this.rows = [];
      this.tensors = [];
      this.past = 0;
      return;
    }
    const current = await Promise.all(this.tensors.map(toHost));
    const past = Math.max(...keep.map(({ row }) => row.keyMask.length));
    this.tensors = current.map((tensor) => {
      const out = this.zeros([keep.length, this.shape.kvHeads, past, this.shape.headDim]);
      keep.forEach(({ row, r }, i) => this.copyRow(tensor, r, this.past, out, i, past, row.keyMask.length));
      return out;
    });
    this.rows = keep.map(({ row }) => row);
    this.past = past;
  }

  /** Copies the last `length` positions of row `from` (past `fromPast`) right-aligned into row `to`. */
  private copyRow(
    src: HostTensor,
    from: number,
    fromPast: number,
    dst: HostTensor,
    to: number,
    toPast: number,
    length: number,
  ): void {
    const { kvHeads, headDim } = this.shape;
    const s = src.data as KvArray;
    const d = dst.data as KvArray;
    for (let h = 0; h < kvHeads; h++) {
      const srcStart = ((from * kvHeads + h) * fromPast + (fromPast - length)) * headDim;
      const dstStart = ((to * kvHeads + h) * toPast + (toPast - length)) * headDim;
      d.set(s.subarray(srcStart, srcStart + length * headDim), dstStart);
    }
  }

  private zeros(shape: number[]): HostTensor {
    const n = numel(shape);
    return this.shape.dtype === "float32"
      ? makeTensor("float32", shape, new Float32Array(n))
      : makeTensor("float16", shape, new Uint16Array(n));
  }
}

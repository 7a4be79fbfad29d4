/**
 * The rows decoding together and where their keys and values sit in a KvStore: row r of the
 * batch is slot r of the store, its positions are 0…len−1 of that slot (len = its own length,
 * padded image tokens included), and every row keeps its own key mask, so padded image tokens
 * and the unused positions after len stay masked at every step.
 *
 * The store's width (positions per slot, what a step reads) follows the longest row: it grows a
 * chunk of positions at a time, so re-striding happens once per WIDTH_CHUNK steps at most rather
 * than every step, and shrinks by half when rows leave and it is twice what is needed.
 * Joining rows take the next free slots; a leaving row's slot goes to the last row.
 */
import { type HostTensor, makeTensor } from "@pixellm/tensor";
import type { KvShape, KvStore, LayerTensors } from "./kv-store";

/** Positions added to the width at a time (the width is a multiple of it while it fits). */
export const WIDTH_CHUNK = 32;

/** Cached positions a prefill's past holds (all masked). */
export const PREFILL_PAST = 1;

export interface KvRow {
  readonly id: number;
  /** 1 per cached position the row may attend (0 for its padded image tokens), length = its length. */
  readonly keyMask: number[];
}

/** The feeds of a decode step besides the token embeddings. */
export interface StepFeeds {
  readonly past: LayerTensors;
  /** int64[B, width+1]: each row's key mask, 0 up to the width, then 1 for the new position. */
  readonly attentionMask: HostTensor<"int64">;
  /** int64[B,1]: each row's length, the position of its new token. */
  readonly positionIds: HostTensor<"int64">;
}

export class KvBatch {
  private rows: KvRow[] = [];
  private width = 0;

  constructor(
    private readonly shape: KvShape,
    private readonly store: KvStore,
    /** Positions the store holds in all: rows × width stays within it. */
    private readonly capacityTokens: number,
  ) {}

  get size(): number {
    return this.rows.length;
  }

  get rowIds(): number[] {
    return this.rows.map((r) => r.id);
  }

  /** KV positions held: rows × width. */
  get tokens(): number {
    return this.rows.length * this.width;
  }

  /**
   * The past of a prefill of `batch` rows: one masked position of zeros. An empty past would do
   * on cpu, but the webgpu provider crashes on the zero-sized products it leads to.
   */
  prefillPast(batch: number): LayerTensors {
    const { kvHeads, headDim, dtype } = this.shape;
    const dims = [batch, kvHeads, PREFILL_PAST, headDim];
    const length = batch * kvHeads * PREFILL_PAST * headDim;
    return Array.from({ length: 2 * this.shape.layers }, () =>
      dtype === "float32"
        ? makeTensor("float32", dims, new Float32Array(length))
        : makeTensor("float16", dims, new Uint16Array(length)),
    );
  }

  /** Feeds for the next step; widens the cache first if a row's new position would not fit. */
  async stepFeeds(): Promise<StepFeeds> {
    await this.fit(this.rows.length);
    const width = this.width + 1;
    const mask = new BigInt64Array(this.rows.length * width);
    this.rows.forEach((row, r) => {
      row.keyMask.forEach((m, t) => (mask[r * width + t] = BigInt(m)));
      mask[r * width + this.width] = 1n;
    });
    return {
      past: this.store.past(),
      attentionMask: makeTensor("int64", [this.rows.length, width], mask),
      positionIds: makeTensor(
        "int64",
        [this.rows.length, 1],
        BigInt64Array.from(this.rows, (r) => BigInt(r.keyMask.length)),
      ),
    };
  }

  /** After a step: its new keys and values go to each row's next position, which it attends from now on. */
  async advance(fresh: LayerTensors): Promise<void> {
    await this.store.writeStep(
      fresh,
      this.rows.map((r) => r.keyMask.length),
    );
    for (const row of this.rows) row.keyMask.push(1);
  }

  /**
   * Adds rows from a prefill whose new keys and values are [n, kv_heads, S, head_dim] with each
   * row from position 0: `rows[i]` comes from prefill row `sourceRows[i]` (rows that finished at
   * their first token are simply not listed).
   */
  async join(rows: readonly KvRow[], fresh: LayerTensors, sourceRows: readonly number[]): Promise<void> {
    if (rows.length === 0) return;
    await this.fit(this.rows.length + rows.length, rows);
    await this.store.appendRows(
      fresh,
      sourceRows,
      rows.map((r) => r.keyMask.length),
    );
    this.rows.push(...rows.map((r) => ({ id: r.id, keyMask: [...r.keyMask] })));
  }

  /** Drops rows (finished, cancelled, past their deadline): the last rows move into their slots. */
  async remove(ids: ReadonlySet<number>): Promise<void> {
    if (!this.rows.some((r) => ids.has(r.id))) return;
    const slots = this.rows.map((_, r) => r);
    const order: number[] = [];
    // Fill each freed slot from the end, skipping rows that leave too.
    let last = slots.length - 1;
    for (let r = 0; r <= last; r++) {
      if (!ids.has(this.rows[r]!.id)) {
        order.push(r);
        continue;
      }
      while (last > r && ids.has(this.rows[last]!.id)) last--;
      if (last > r) order.push(last--);
    }
    this.rows = order.map((r) => this.rows[r]!);
    await this.store.keepRows(
      order,
      this.rows.map((r) => r.keyMask.length),
    );
    if (this.rows.length === 0) this.width = 0;
    else if (this.width >= 2 * this.needed(this.rows))
      await this.resize(this.target(this.rows, this.rows.length));
  }

  /** Makes the width hold every row's next position (`extra` rows about to join included). */
  private async fit(rowCount: number, extra: readonly KvRow[] = []): Promise<void> {
    const all = [...this.rows, ...extra];
    if (this.width >= this.needed(all)) return;
    await this.resize(this.target(all, rowCount));
  }

  /** Positions a step needs: the longest row's length, plus its new token. */
  private needed(rows: readonly KvRow[]): number {
    return Math.max(0, ...rows.map((r) => r.keyMask.length)) + 1;
  }

  /** The width to set: the needed one rounded up to a chunk, within the capacity for `rowCount` rows. */
  private target(rows: readonly KvRow[], rowCount: number): number {
    const needed = this.needed(rows);
    const width = Math.min(
      Math.ceil(needed / WIDTH_CHUNK) * WIDTH_CHUNK,
      Math.floor(this.capacityTokens / rowCount),
    );
    if (width < needed)
      throw new RangeError(
        `${rowCount} rows of up to ${needed} positions exceed the KV capacity of ${this.capacityTokens}`,
      );
    return width;
  }

  private async resize(width: number): Promise<void> {
    await this.store.resize(
      width,
      this.rows.map((r) => r.keyMask.length),
    );
    this.width = width;
  }
}

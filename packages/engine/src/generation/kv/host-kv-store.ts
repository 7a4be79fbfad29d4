/**
 * The KV cache in host memory for the cpu provider: one buffer per layer key and value,
 * allocated once for the KV budget, read by the graph through zero-copy views. Nothing is
 * concatenated or reallocated per step: a step writes only its new position of each row in
 * place; a joining row copies only its own positions into its slot; a leaving row's slot is
 * taken by the last row (a copy of that one row). Changing the width re-strides the rows in
 * place, a chunk of positions at a time (see KvBatch), not per step.
 */
import { type HostTensor, type TypedArrayOf, makeTensor } from "@pixellm/tensor";
import type { KvShape, KvStore, LayerTensors } from "./kv-store";

type KvArray = TypedArrayOf<"float32" | "float16">;

export class HostKvStore implements KvStore {
  private readonly buffers: KvArray[];
  private rows = 0;
  private width = 0;

  constructor(
    private readonly shape: KvShape,
    /** Positions the buffers hold in all (rows × width never exceeds it). */
    readonly capacityTokens: number,
  ) {
    const length = capacityTokens * shape.kvHeads * shape.headDim;
    this.buffers = Array.from({ length: 2 * shape.layers }, () =>
      shape.dtype === "float32" ? new Float32Array(length) : new Uint16Array(length),
    );
  }

  past(): LayerTensors {
    const { kvHeads, headDim, dtype } = this.shape;
    const dims = [this.rows, kvHeads, this.width, headDim];
    const length = this.rows * kvHeads * this.width * headDim;
    return this.buffers.map((buffer) => makeTensor(dtype, dims, buffer.subarray(0, length)));
  }

  writeStep(fresh: LayerTensors, positions: readonly number[]): Promise<void> {
    const { kvHeads, headDim } = this.shape;
    fresh.forEach((tensor, layer) => {
      const source = hostData(tensor);
      const target = this.buffers[layer]!;
      positions.forEach((position, r) => {
        for (let h = 0; h < kvHeads; h++) {
          const from = (r * kvHeads + h) * headDim;
          target.set(source.subarray(from, from + headDim), this.offset(r, h, position));
        }
      });
    });
    return Promise.resolve();
  }

  appendRows(fresh: LayerTensors, sources: readonly number[], lengths: readonly number[]): Promise<void> {
    this.checkFits(this.rows + sources.length, this.width);
    const { kvHeads, headDim } = this.shape;
    fresh.forEach((tensor, layer) => {
      const source = hostData(tensor);
      const S = tensor.shape[2]!;
      const target = this.buffers[layer]!;
      sources.forEach((row, i) => {
        for (let h = 0; h < kvHeads; h++) {
          const from = (row * kvHeads + h) * S * headDim;
          target.set(source.subarray(from, from + lengths[i]! * headDim), this.offset(this.rows + i, h, 0));
        }
      });
    });
    this.rows += sources.length;
    return Promise.resolve();
  }

  keepRows(order: readonly number[], lengths: readonly number[]): Promise<void> {
    // Slots fill in increasing order from rows at or after them (KvBatch moves the last rows into
    // the freed slots), so no source is overwritten before it is read.
    order.forEach((from, to) => {
      if (from !== to) this.moveRow(from, to, lengths[to]!);
    });
    this.rows = order.length;
    return Promise.resolve();
  }

  resize(width: number, lengths: readonly number[]): Promise<void> {
    this.checkFits(this.rows, width);
    const { kvHeads, headDim } = this.shape;
    const old = this.width;
    // Growing moves blocks to higher offsets, so the last block goes first; shrinking the reverse.
    const blocks = Array.from({ length: this.rows * kvHeads }, (_, i) => i);
    if (width > old) blocks.reverse();
    for (const buffer of this.buffers) {
      for (const block of blocks) {
        const r = Math.floor(block / kvHeads);
        const keep = Math.min(lengths[r]!, width) * headDim;
        buffer.copyWithin(block * width * headDim, block * old * headDim, block * old * headDim + keep);
      }
    }
    this.width = width;
    return Promise.resolve();
  }

  release(): Promise<void> {
    return Promise.resolve();
  }

  private moveRow(from: number, to: number, length: number): void {
    const { kvHeads, headDim } = this.shape;
    for (const buffer of this.buffers) {
      for (let h = 0; h < kvHeads; h++) {
        const start = this.offset(from, h, 0);
        buffer.copyWithin(this.offset(to, h, 0), start, start + length * headDim);
      }
    }
  }

  private offset(row: number, head: number, position: number): number {
    return ((row * this.shape.kvHeads + head) * this.width + position) * this.shape.headDim;
  }

  private checkFits(rows: number, width: number): void {
    if (rows * width > this.capacityTokens)
      throw new RangeError(
        `${rows} rows × ${width} positions exceed the KV capacity of ${this.capacityTokens}`,
      );
  }
}

function hostData(value: LayerTensors[number]): KvArray {
  if ("kind" in value) throw new TypeError("the host KV store takes host tensors");
  return (value as HostTensor<"float32" | "float16">).data;
}

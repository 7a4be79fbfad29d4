import { type HostTensor, makeTensor } from "@pixellm/tensor";
import { describe, expect, it } from "vitest";
import { KvBatch, type LayerTensors, type PrefillRow } from "../src";
import { FakeModel, kvEntry } from "./support/fake-model";

const fake = new FakeModel({ layers: 2, kvHeads: 3 });
const shape = fake.dims.kv;

/** A prefill row of the fake model: `tag` first, `keyMask` one per position. */
function row(tag: number, keyMask: number[]): PrefillRow {
  const embeds = new Float32Array(keyMask.length * fake.dims.hidden);
  embeds[0] = tag;
  return { embeds, keyMask };
}

async function prefill(batch: KvBatch, rows: PrefillRow[]): Promise<LayerTensors> {
  return (await fake.prefill(rows, batch.emptyTensors(rows.length))).present;
}

/**
 * Each row of the batch's cache as "tag:position" per slot ("tag:position~" where masked out of
 * the key mask, "·" for zeros), after checking every layer, key/value and head says the same.
 */
function layout(batch: KvBatch): string[][] {
  const tensors = batch.pastTensors();
  const [B, heads, P] = tensors[0]!.shape as [number, number, number, number];
  return Array.from({ length: B }, (_, r) =>
    Array.from({ length: P }, (_, p) => {
      const cells = tensors.flatMap((_, slot) =>
        Array.from({ length: heads }, (_, h) => {
          const [tag, position, s, head, attend] = kvEntry(tensors, slot, r, h, p);
          if ([tag, position, s, head, attend].every((v) => v === 0)) return "·";
          if (s !== slot || head !== h) return "bad";
          return `${tag}:${position}${attend ? "" : "~"}`;
        }),
      );
      return cells.every((c) => c === cells[0]) ? cells[0]! : "mixed";
    }),
  );
}

function maskRows(batch: KvBatch): number[][] {
  const mask = batch.stepAttentionMask();
  const [B, W] = mask.shape as [number, number];
  return Array.from({ length: B }, (_, r) => Array.from(mask.data.subarray(r * W, (r + 1) * W), Number));
}

describe("KvBatch", () => {
  it("starts empty with zero-length pasts", () => {
    const batch = new KvBatch(shape);
    expect([batch.size, batch.pastLength, batch.rowIds]).toEqual([0, 0, []]);
    const empty = batch.emptyTensors(3);
    expect(empty).toHaveLength(2 * shape.layers);
    for (const t of empty) expect(t.shape).toEqual([3, shape.kvHeads, 0, shape.headDim]);
  });

  it("joins prefill rows right-aligned to the longest, without the prefill's padding garbage", async () => {
    const batch = new KvBatch(shape);
    const present = await prefill(batch, [row(1, [1, 0, 1]), row(2, [1, 1, 1, 1, 1])]);
    await batch.join(
      [
        { id: 10, keyMask: [1, 0, 1] },
        { id: 20, keyMask: [1, 1, 1, 1, 1] },
      ],
      present,
      [0, 1],
    );
    expect([batch.size, batch.pastLength, batch.rowIds]).toEqual([2, 5, [10, 20]]);
    expect(layout(batch)).toEqual([
      ["·", "·", "1:0", "1:1~", "1:2"],
      ["2:0", "2:1", "2:2", "2:3", "2:4"],
    ]);
    expect(batch.nextPositions()).toEqual([3, 5]);
    expect(batch.stepAttentionMask().shape).toEqual([2, 6]);
    expect(maskRows(batch)).toEqual([
      [0, 0, 1, 0, 1, 1],
      [1, 1, 1, 1, 1, 1],
    ]);
  });

  it("joins only the listed prefill rows, trimming padding none of them needs", async () => {
    const batch = new KvBatch(shape);
    const present = await prefill(batch, [row(1, [1, 1]), row(2, [1, 1, 1, 1, 1, 1]), row(3, [1, 1, 1])]);
    await batch.join(
      [
        { id: 0, keyMask: [1, 1] },
        { id: 2, keyMask: [1, 1, 1] },
      ],
      present,
      [0, 2],
    );
    expect(batch.pastLength).toBe(3);
    expect(layout(batch)).toEqual([
      ["·", "1:0", "1:1"],
      ["3:0", "3:1", "3:2"],
    ]);
  });

  it("advances, joins longer and shorter rows into a running batch and keeps every row intact", async () => {
    const batch = new KvBatch(shape);
    await batch.join(
      [
        { id: 1, keyMask: [1, 1] },
        { id: 2, keyMask: [1, 1, 1] },
      ],
      await prefill(batch, [row(1, [1, 1]), row(2, [1, 1, 1])]),
      [0, 1],
    );
    const step = await fake.step(batch, [5, 6]);
    batch.advance(step.present);
    expect(batch.pastLength).toBe(4);
    expect(batch.nextPositions()).toEqual([3, 4]);
    expect(layout(batch)).toEqual([
      ["·", "1:0", "1:1", "1:2"],
      ["2:0", "2:1", "2:2", "2:3"],
    ]);

    await batch.join(
      [{ id: 3, keyMask: [1, 1, 0, 1, 1, 1] }],
      await prefill(batch, [row(3, [1, 1, 0, 1, 1, 1])]),
      [0],
    );
    await batch.join([{ id: 4, keyMask: [1] }], await prefill(batch, [row(4, [1])]), [0]);
    expect(batch.rowIds).toEqual([1, 2, 3, 4]);
    expect(layout(batch)).toEqual([
      ["·", "·", "·", "1:0", "1:1", "1:2"],
      ["·", "·", "2:0", "2:1", "2:2", "2:3"],
      ["3:0", "3:1", "3:2~", "3:3", "3:4", "3:5"],
      ["·", "·", "·", "·", "·", "4:0"],
    ]);
    expect(maskRows(batch)).toEqual([
      [0, 0, 0, 1, 1, 1, 1],
      [0, 0, 1, 1, 1, 1, 1],
      [1, 1, 0, 1, 1, 1, 1],
      [0, 0, 0, 0, 0, 1, 1],
    ]);

    batch.advance((await fake.step(batch, [7, 8, 9, 10])).present);
    expect(fake.violations).toEqual([]);
    expect(batch.nextPositions()).toEqual([4, 5, 7, 2]);
    expect(layout(batch)[3]).toEqual(["·", "·", "·", "·", "·", "4:0", "4:1"]);
  });

  it("removes rows, trims padding every remaining row has, and keeps the rest intact", async () => {
    const batch = new KvBatch(shape);
    await batch.join(
      [
        { id: 1, keyMask: [1, 1] },
        { id: 2, keyMask: [1, 1, 1, 1, 1] },
        { id: 3, keyMask: [1, 0, 1, 1] },
      ],
      await prefill(batch, [row(1, [1, 1]), row(2, [1, 1, 1, 1, 1]), row(3, [1, 0, 1, 1])]),
      [0, 1, 2],
    );
    batch.advance((await fake.step(batch, [5, 6, 7])).present);
    await batch.remove(new Set([2]));
    expect([batch.rowIds, batch.pastLength]).toEqual([[1, 3], 5]);
    expect(layout(batch)).toEqual([
      ["·", "·", "1:0", "1:1", "1:2"],
      ["3:0", "3:1~", "3:2", "3:3", "3:4"],
    ]);
    expect(maskRows(batch)).toEqual([
      [0, 0, 1, 1, 1, 1],
      [1, 0, 1, 1, 1, 1],
    ]);
    batch.advance((await fake.step(batch, [8, 9])).present);
    expect(fake.violations).toEqual([]);
    expect(batch.nextPositions()).toEqual([4, 6]);

    await batch.remove(new Set([1, 3]));
    expect([batch.size, batch.pastLength, batch.rowIds]).toEqual([0, 0, []]);
    expect(batch.pastTensors().map((t) => t.shape)).toEqual(
      Array(2 * shape.layers).fill([0, shape.kvHeads, 0, shape.headDim]),
    );
  });

  it("leaves the cache untouched when asked to remove rows it does not hold", async () => {
    const batch = new KvBatch(shape);
    await batch.join([{ id: 1, keyMask: [1, 1] }], await prefill(batch, [row(1, [1, 1])]), [0]);
    const before = batch.pastTensors();
    await batch.remove(new Set([7, 8]));
    expect(batch.pastTensors()).toBe(before);
    expect([batch.rowIds, batch.pastLength]).toEqual([[1], 2]);
  });

  it("moves float16 caches bit for bit", async () => {
    const half = new KvBatch({ layers: 1, kvHeads: 1, headDim: 2, dtype: "float16" });
    // Prefill of two rows padded to 3: row 0 has 2 positions, row 1 has 3.
    const tensor = (base: number): HostTensor<"float16"> =>
      makeTensor(
        "float16",
        [2, 1, 3, 2],
        Uint16Array.from({ length: 12 }, (_, i) => base + i),
      );
    await half.join(
      [
        { id: 1, keyMask: [1, 1] },
        { id: 2, keyMask: [1, 1, 1] },
      ],
      [tensor(0x3c00), tensor(0x4000)],
      [0, 1],
    );
    const [key] = half.pastTensors() as HostTensor<"float16">[];
    expect(key!.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(key!.data)).toEqual([
      0, 0, 0x3c02, 0x3c03, 0x3c04, 0x3c05, 0x3c06, 0x3c07, 0x3c08, 0x3c09, 0x3c0a, 0x3c0b,
    ]);
    await half.remove(new Set([2]));
    const [trimmed] = half.pastTensors() as HostTensor<"float16">[];
    expect(trimmed!.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(trimmed!.data)).toEqual([0x3c02, 0x3c03, 0x3c04, 0x3c05]);
  });
});

/**
 * KvBatch over both stores: rows sit in slots from position 0 with their own key masks, a step
 * writes only each row's new position, joins copy only their own rows, a leaving row's slot goes
 * to the last row, and the width follows the longest row a chunk at a time. The host store does
 * all of it in place in buffers allocated once; the device store's graphs (run here on the cpu
 * provider, on lavapipe in test/gpu) must leave the same cache.
 */
import { type HostTensor, makeTensor, numel } from "@pixellm/tensor";
import { describe, expect, it } from "vitest";
import {
  DeviceKvStore,
  HostKvStore,
  KvBatch,
  type KvRow,
  type KvShape,
  type KvStore,
  type LayerTensors,
  WIDTH_CHUNK,
} from "../src";

/** head_dim 4: each cached entry is [tag, position, layer tensor j, head]. */
const shape: KvShape = { layers: 2, kvHeads: 2, headDim: 4, dtype: "float32" };
const CAPACITY = 16 * WIDTH_CHUNK;

/** New keys and values of a run: row r holds `tags[r]`'s positions `from`…`from+S−1`. */
function fresh(
  tags: readonly number[],
  S: number,
  from: readonly number[] = tags.map(() => 0),
): LayerTensors {
  const dims = [tags.length, shape.kvHeads, S, shape.headDim];
  return Array.from({ length: 2 * shape.layers }, (_, j) => {
    const data = new Float32Array(numel(dims));
    tags.forEach((tag, r) => {
      for (let h = 0; h < shape.kvHeads; h++)
        for (let t = 0; t < S; t++)
          data.set([tag, from[r]! + t, j, h], ((r * shape.kvHeads + h) * S + t) * 4);
    });
    return makeTensor("float32", dims, data);
  });
}

function row(id: number, length: number, masked: readonly number[] = []): KvRow {
  return { id, keyMask: Array.from({ length }, (_, t) => (masked.includes(t) ? 0 : 1)) };
}

/** Each row's cached entries as "tag:position" (checked identical across layers and heads). */
function layout(past: LayerTensors, lengths: readonly number[]): string[][] {
  return lengths.map((length, r) =>
    Array.from({ length }, (_, t) => {
      const cells = past.flatMap((tensor, j) =>
        Array.from({ length: shape.kvHeads }, (_, h) => {
          const [, , width] = tensor.shape as [number, number, number, number];
          const at = ((r * shape.kvHeads + h) * width + t) * 4;
          const [tag, position, slot, head] = (tensor as HostTensor<"float32">).data.subarray(at, at + 4);
          return slot === j && head === h ? `${tag}:${position}` : "bad";
        }),
      );
      return cells.every((c) => c === cells[0]) ? cells[0]! : "mixed";
    }),
  );
}

const expected = (tag: number, length: number) => Array.from({ length }, (_, t) => `${tag}:${t}`);

async function stores(): Promise<[string, KvStore][]> {
  return [
    ["host", new HostKvStore(shape, CAPACITY)],
    ["device graphs (cpu)", await DeviceKvStore.open(shape, { provider: "cpu" })],
  ];
}

describe("KvBatch", () => {
  it("joins prefill rows from position 0, each with its own mask, the width a chunk of positions", async () => {
    for (const [name, store] of await stores()) {
      const batch = new KvBatch(shape, store, CAPACITY);
      await batch.join([row(1, 3, [1]), row(3, 5)], fresh([1, 2, 3], 5), [0, 2]);
      expect(batch.rowIds, name).toEqual([1, 3]);
      const feeds = await batch.stepFeeds();
      expect(feeds.past[0]!.shape, name).toEqual([2, shape.kvHeads, WIDTH_CHUNK, shape.headDim]);
      expect(layout(feeds.past, [3, 5]), name).toEqual([expected(1, 3), expected(3, 5)]);
      const mask = Array.from(feeds.attentionMask.data, Number);
      const W = WIDTH_CHUNK + 1;
      expect(feeds.attentionMask.shape, name).toEqual([2, W]);
      expect(mask.slice(0, W), name).toEqual([1, 0, 1, ...Array<number>(W - 4).fill(0), 1]);
      expect(mask.slice(W), name).toEqual([1, 1, 1, 1, 1, ...Array<number>(W - 6).fill(0), 1]);
      expect(Array.from(feeds.positionIds.data, Number), name).toEqual([3, 5]);
      expect(batch.tokens, name).toBe(2 * WIDTH_CHUNK);
      await store.release();
    }
  });

  it("writes a step's keys and values at each row's next position", async () => {
    for (const [name, store] of await stores()) {
      const batch = new KvBatch(shape, store, CAPACITY);
      await batch.join([row(1, 3), row(2, 6)], fresh([1, 2], 6), [0, 1]);
      await batch.stepFeeds();
      await batch.advance(fresh([1, 2], 1, [3, 6]));
      const feeds = await batch.stepFeeds();
      expect(layout(feeds.past, [4, 7]), name).toEqual([expected(1, 4), expected(2, 7)]);
      expect(Array.from(feeds.positionIds.data, Number), name).toEqual([4, 7]);
      await store.release();
    }
  });

  it("moves the last row into a leaving row's slot and leaves the others where they are", async () => {
    for (const [name, store] of await stores()) {
      const batch = new KvBatch(shape, store, CAPACITY);
      await batch.join([row(1, 2), row(2, 3), row(3, 4), row(4, 5)], fresh([1, 2, 3, 4], 5), [0, 1, 2, 3]);
      await batch.remove(new Set([2, 4]));
      expect(batch.rowIds, name).toEqual([1, 3]);
      await batch.remove(new Set([99]));
      await batch.remove(new Set([1]));
      expect(batch.rowIds, name).toEqual([3]);
      const feeds = await batch.stepFeeds();
      expect(layout(feeds.past, [4]), name).toEqual([expected(3, 4)]);
      await batch.remove(new Set([3]));
      expect([batch.size, batch.tokens], name).toEqual([0, 0]);
      await store.release();
    }
  });

  it("widens a chunk at a time as rows grow, and narrows when rows leave, keeping every row", async () => {
    for (const [name, store] of await stores()) {
      const batch = new KvBatch(shape, store, CAPACITY);
      const long = WIDTH_CHUNK - 1;
      await batch.join([row(1, 2), row(2, long)], fresh([1, 2], long), [0, 1]);
      for (let step = 0; step < 3; step++) {
        await batch.stepFeeds();
        await batch.advance(fresh([1, 2], 1, [2 + step, long + step]));
      }
      let feeds = await batch.stepFeeds();
      expect(feeds.past[0]!.shape[2], name).toBe(2 * WIDTH_CHUNK);
      expect(layout(feeds.past, [5, long + 3]), name).toEqual([expected(1, 5), expected(2, long + 3)]);
      await batch.remove(new Set([2]));
      feeds = await batch.stepFeeds();
      expect(feeds.past[0]!.shape[2], name).toBe(WIDTH_CHUNK);
      expect(layout(feeds.past, [5]), name).toEqual([expected(1, 5)]);
      await store.release();
    }
  });

  it("updates the host cache in place: the same buffers at every step, nothing allocated for the cache", async () => {
    const store = new HostKvStore(shape, CAPACITY);
    const batch = new KvBatch(shape, store, CAPACITY);
    await batch.join([row(1, 4), row(2, 4)], fresh([1, 2], 4), [0, 1]);
    const buffers = (await batch.stepFeeds()).past.map((t) => (t as HostTensor).data.buffer);
    for (let step = 0; step < WIDTH_CHUNK + 4; step++) {
      await batch.advance(fresh([1, 2], 1, [4 + step, 4 + step]));
      const past = (await batch.stepFeeds()).past;
      expect(past.map((t) => (t as HostTensor).data.buffer)).toEqual(buffers);
    }
    await batch.remove(new Set([1]));
    expect((await batch.stepFeeds()).past.map((t) => (t as HostTensor).data.buffer)).toEqual(buffers);
  });

  it("refuses rows that the capacity cannot hold", async () => {
    const store = new HostKvStore(shape, 2 * WIDTH_CHUNK);
    const batch = new KvBatch(shape, store, 2 * WIDTH_CHUNK);
    await expect(
      batch.join(
        [row(1, WIDTH_CHUNK), row(2, WIDTH_CHUNK), row(3, 2)],
        fresh([1, 2, 3], WIDTH_CHUNK),
        [0, 1, 2],
      ),
    ).rejects.toThrow(/exceed the KV capacity/);
  });
});

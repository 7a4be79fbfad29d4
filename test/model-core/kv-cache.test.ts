/**
 * llm.onnx over a static KV cache computes what it computes without one: decoding position by
 * position (writing each run's new_key_values into a fixed-width cache, unused positions masked)
 * gives the hidden states and logits of one full pass, with masked keys (padded image tokens)
 * masked at every step and whatever the unused cache positions hold ignored.
 */
import { loadBundle } from "@pixellm/bundle";
import { ModelSession } from "@pixellm/engine";
import { type HostTensor, float32Tensor, int64Tensor, normalStream } from "@pixellm/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxAbsDiff } from "../support/reference-model";
import { makeTinyBundle } from "../support/tiny-bundle";

const TOLERANCE = 1e-4; // max abs difference, float32

let llm: ModelSession;
let dims: { H: number; V: number; layers: number; kvHeads: number; headDim: number };

beforeAll(async () => {
  const tiny = await makeTinyBundle();
  const bundle = await loadBundle(tiny.bundleDir);
  const c = bundle.manifest.config;
  dims = {
    H: c.hidden_size,
    V: c.vocab_size,
    layers: c.num_hidden_layers,
    kvHeads: c.num_key_value_heads,
    headDim: c.hidden_size / c.num_attention_heads,
  };
  llm = await ModelSession.create("llm", bundle.graphPath("llm"), bundle.manifest.graphs.llm, {
    provider: "cpu",
  });
});

afterAll(async () => {
  await llm.release();
});

/** One row's cache of `width` positions per layer key/value, filled with `fill` where unwritten. */
class StaticCache {
  readonly tensors: HostTensor<"float32">[];

  constructor(
    readonly width: number,
    fill: number,
  ) {
    const shape = [1, dims.kvHeads, width, dims.headDim];
    this.tensors = Array.from({ length: 2 * dims.layers }, () => float32Tensor(shape).data.fill(fill)).map(
      (d) => float32Tensor(shape, d),
    );
  }

  feeds(): Record<string, HostTensor> {
    const feeds: Record<string, HostTensor> = {};
    for (let i = 0; i < dims.layers; i++) {
      feeds[`past_key_values.${i}.key`] = this.tensors[2 * i]!;
      feeds[`past_key_values.${i}.value`] = this.tensors[2 * i + 1]!;
    }
    return feeds;
  }

  /** Writes a run's S new positions at `at`…`at+S−1`. */
  write(out: Record<string, unknown>, at: number): void {
    for (let i = 0; i < dims.layers; i++) {
      ["key", "value"].forEach((kind, k) => {
        const fresh = out[`new_key_values.${i}.${kind}`] as HostTensor<"float32">;
        const S = fresh.shape[2]!;
        for (let h = 0; h < dims.kvHeads; h++) {
          const from = h * S * dims.headDim;
          this.tensors[2 * i + k]!.data.set(
            fresh.data.subarray(from, from + S * dims.headDim),
            (h * this.width + at) * dims.headDim,
          );
        }
      });
    }
  }
}

/** One row: S new positions after `cache` (mask: the cache's positions, then the new ones). */
async function run(
  embeds: Float32Array,
  positions: number[],
  mask: number[],
  cache: { feeds(): Record<string, HostTensor> },
  logitsIndex = positions.length - 1,
) {
  const S = positions.length;
  return llm.run({
    inputs_embeds: float32Tensor([1, S, dims.H], embeds),
    attention_mask: int64Tensor([1, mask.length], mask),
    position_ids: int64Tensor([1, S], positions),
    logits_index: int64Tensor([1], [logitsIndex]),
    ...cache.feeds(),
  });
}

const noCache = () => new StaticCache(0, 0);
const hidden = (out: Record<string, unknown>) => (out.last_hidden as HostTensor<"float32">).data;
const logits = (out: Record<string, unknown>) => (out.logits as HostTensor<"float32">).data;

describe("llm.onnx over a static KV cache", () => {
  it("decoding step by step into the cache equals one full pass, masked keys and stale positions included", async () => {
    const T = 24;
    const next = normalStream(7);
    const embeds = Float32Array.from({ length: T * dims.H }, () => next());
    // Positions 4..9 stand for padded image tokens: masked as keys at every step.
    const keyMask = Array.from({ length: T }, (_, t) => (t >= 4 && t < 10 ? 0 : 1));
    const full = await run(embeds, [...Array(T).keys()], keyMask, noCache());
    const fullHidden = hidden(full);

    // Unused positions hold large finite garbage, as a reused slot does: the mask must hide it.
    const cache = new StaticCache(32, 1e3);
    const prefill = 12;
    let out = await run(
      embeds.subarray(0, prefill * dims.H),
      [...Array(prefill).keys()],
      keyMask.slice(0, prefill),
      noCache(),
    );
    expect(maxAbsDiff(hidden(out), fullHidden.subarray(0, prefill * dims.H))).toBeLessThanOrEqual(TOLERANCE);
    cache.write(out, 0);
    for (let t = prefill; t < T; t++) {
      const mask = [...keyMask.slice(0, t), ...Array<number>(cache.width - t).fill(0), 1];
      out = await run(embeds.subarray(t * dims.H, (t + 1) * dims.H), [t], mask, cache);
      expect((out["new_key_values.0.key"] as HostTensor).shape[2]).toBe(1);
      expect(maxAbsDiff(hidden(out), fullHidden.subarray(t * dims.H, (t + 1) * dims.H))).toBeLessThanOrEqual(
        TOLERANCE,
      );
      cache.write(out, t);
    }
    expect(maxAbsDiff(logits(out), logits(full))).toBeLessThanOrEqual(TOLERANCE);
  });

  it("a masked key changes nothing, an unmasked one does", async () => {
    const T = 10;
    const next = normalStream(11);
    const embeds = Float32Array.from({ length: T * dims.H }, () => next());
    const mask = Array.from({ length: T }, (_, t) => (t === 3 ? 0 : 1));
    const base = logits(await run(embeds, [...Array(T).keys()], mask, noCache()));
    const altered = embeds.slice();
    altered.fill(5, 3 * dims.H, 4 * dims.H); // change the masked position's input
    const same = logits(await run(altered, [...Array(T).keys()], mask, noCache()));
    // Only position 3's own output depends on its input; the last position never attends it.
    expect(maxAbsDiff(same, base)).toBeLessThanOrEqual(TOLERANCE);
    const unmasked = logits(
      await run(
        altered,
        [...Array(T).keys()],
        mask.map(() => 1),
        noCache(),
      ),
    );
    expect(maxAbsDiff(unmasked, base)).toBeGreaterThan(1e-3);
  });

  it("right padding with logits taken at each row's last position gives each row what it gets alone", async () => {
    const next = normalStream(3);
    const long = Float32Array.from({ length: 9 * dims.H }, () => next());
    const short = Float32Array.from({ length: 5 * dims.H }, () => next());
    const alone = async (e: Float32Array, n: number) =>
      logits(await run(e, [...Array(n).keys()], Array<number>(n).fill(1), noCache()));
    const padded = new Float32Array(2 * 9 * dims.H);
    padded.set(long, 0);
    padded.set(short, 9 * dims.H);
    const past = new StaticCache(0, 0).tensors.map((t) => float32Tensor([2, ...t.shape.slice(1)]));
    const batch = await llm.run({
      inputs_embeds: float32Tensor([2, 9, dims.H], padded),
      attention_mask: int64Tensor(
        [2, 9],
        [...Array<number>(9).fill(1), ...Array<number>(5).fill(1), 0, 0, 0, 0],
      ),
      position_ids: int64Tensor([2, 9], [...Array(9).keys(), ...Array(5).keys(), 0, 0, 0, 0]),
      logits_index: int64Tensor([2], [8, 4]),
      ...Object.fromEntries(Object.keys(noCache().feeds()).map((name, j) => [name, past[j]!])),
    });
    const both = logits(batch);
    expect(maxAbsDiff(both.subarray(0, dims.V), await alone(long, 9))).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(both.subarray(dims.V), await alone(short, 5))).toBeLessThanOrEqual(TOLERANCE);
  });
});

/**
 * llm.onnx with a KV cache computes what it computes without one: decoding position by position
 * (feeding `present` back as `past`) gives the hidden states and logits of one full pass, with
 * masked keys (padded image tokens) masked at every step.
 */
import { loadBundle } from "@pixellm/bundle";
import { ModelSession, type SessionValue } from "@pixellm/engine";
import { type HostTensor, float32Tensor, int64Tensor, makeTensor, normalStream } from "@pixellm/tensor";
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

function emptyPast(batch: number): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (let i = 0; i < dims.layers; i++) {
    for (const kind of ["key", "value"])
      feeds[`past_key_values.${i}.${kind}`] = float32Tensor([batch, dims.kvHeads, 0, dims.headDim]);
  }
  return feeds;
}

async function run(
  embeds: Float32Array,
  positions: number[],
  mask: number[],
  past: Record<string, SessionValue>,
) {
  const S = positions.length;
  return llm.run({
    inputs_embeds: float32Tensor([1, S, dims.H], embeds),
    attention_mask: int64Tensor([1, mask.length], mask),
    position_ids: int64Tensor([1, S], positions),
    ...past,
  });
}

describe("llm.onnx KV cache", () => {
  it("decoding step by step equals one full pass, masked keys included", async () => {
    const T = 24;
    const next = normalStream(7);
    const embeds = Float32Array.from({ length: T * dims.H }, () => next());
    // Positions 4..9 stand for padded image tokens: masked as keys at every step.
    const mask = Array.from({ length: T }, (_, t) => (t >= 4 && t < 10 ? 0 : 1));
    const full = await run(embeds, [...Array(T).keys()], mask, emptyPast(1));
    const fullHidden = (full.last_hidden as HostTensor<"float32">).data;

    const prefill = 12;
    let out = await run(
      embeds.subarray(0, prefill * dims.H),
      [...Array(prefill).keys()],
      mask.slice(0, prefill),
      emptyPast(1),
    );
    expect(
      maxAbsDiff((out.last_hidden as HostTensor<"float32">).data, fullHidden.subarray(0, prefill * dims.H)),
    ).toBeLessThanOrEqual(TOLERANCE);
    for (let t = prefill; t < T; t++) {
      const past = Object.fromEntries(
        Object.entries(out)
          .filter(([name]) => name.startsWith("present."))
          .map(([name, v]) => [name.replace("present.", "past_key_values."), v]),
      );
      out = await run(embeds.subarray(t * dims.H, (t + 1) * dims.H), [t], mask.slice(0, t + 1), past);
      expect((out["present.0.key"] as HostTensor).shape[2]).toBe(t + 1);
      expect(
        maxAbsDiff(
          (out.last_hidden as HostTensor<"float32">).data,
          fullHidden.subarray(t * dims.H, (t + 1) * dims.H),
        ),
      ).toBeLessThanOrEqual(TOLERANCE);
    }
    expect(
      maxAbsDiff((out.logits as HostTensor<"float32">).data, (full.logits as HostTensor<"float32">).data),
    ).toBeLessThanOrEqual(TOLERANCE);
  });

  it("a masked key changes nothing, an unmasked one does", async () => {
    const T = 10;
    const next = normalStream(11);
    const embeds = Float32Array.from({ length: T * dims.H }, () => next());
    const mask = Array.from({ length: T }, (_, t) => (t === 3 ? 0 : 1));
    const base = (await run(embeds, [...Array(T).keys()], mask, emptyPast(1)))
      .logits as HostTensor<"float32">;
    const altered = embeds.slice();
    altered.fill(5, 3 * dims.H, 4 * dims.H); // change the masked position's input
    const same = (await run(altered, [...Array(T).keys()], mask, emptyPast(1)))
      .logits as HostTensor<"float32">;
    // Only position 3's own output depends on its input; the last position never attends it.
    expect(maxAbsDiff(same.data, base.data)).toBeLessThanOrEqual(TOLERANCE);
    const unmasked = (
      await run(
        altered,
        [...Array(T).keys()],
        mask.map(() => 1),
        emptyPast(1),
      )
    ).logits as HostTensor<"float32">;
    expect(maxAbsDiff(unmasked.data, base.data)).toBeGreaterThan(1e-3);
  });

  it("left padding with a masked prefix gives each row what it gets alone", async () => {
    const next = normalStream(3);
    const long = Float32Array.from({ length: 9 * dims.H }, () => next());
    const short = Float32Array.from({ length: 5 * dims.H }, () => next());
    const alone = async (e: Float32Array, n: number) =>
      (await run(e, [...Array(n).keys()], Array<number>(n).fill(1), emptyPast(1)))
        .logits as HostTensor<"float32">;
    const padded = new Float32Array(2 * 9 * dims.H);
    padded.set(long, 0);
    padded.set(short, (9 + 4) * dims.H);
    const batch = await llm.run({
      inputs_embeds: float32Tensor([2, 9, dims.H], padded),
      attention_mask: makeTensor(
        "int64",
        [2, 9],
        BigInt64Array.from([...Array<bigint>(9).fill(1n), 0n, 0n, 0n, 0n, ...Array<bigint>(5).fill(1n)]),
      ),
      position_ids: int64Tensor([2, 9], [...Array(9).keys(), 0, 0, 0, 0, ...Array(5).keys()]),
      ...emptyPast(2),
    });
    const logits = (batch.logits as HostTensor<"float32">).data;
    expect(maxAbsDiff(logits.subarray(0, dims.V), (await alone(long, 9)).data)).toBeLessThanOrEqual(
      TOLERANCE,
    );
    expect(maxAbsDiff(logits.subarray(dims.V), (await alone(short, 5)).data)).toBeLessThanOrEqual(TOLERANCE);
  });
});

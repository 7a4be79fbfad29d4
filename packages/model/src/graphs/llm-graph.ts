/**
 * llm.onnx: the LLaMA decoder (transformers 4.31) over a static KV cache: the graph reads the
 * cached keys and values of every row and returns only the keys and values of the positions it
 * was given, which the engine writes into its cache in place (packages/engine/src/generation/kv).
 * No step copies the cache (there is no Concat of past and new), and an arbitrary key mask keeps
 * padded image tokens and unused cache positions masked at every step (spec 1.3 and 7: LLaVA's
 * cached path resets the mask to ones; the reference never takes it, and neither do we).
 *
 * in:  inputs_embeds  float32[B,S,H]       token embeddings with the image tokens spliced in
 *      attention_mask int64[B,C+S]         the C cached positions, then the S new ones; 1 = attend,
 *                                          0 = masked key (unused cache, padding, padded image tokens)
 *      position_ids   int64[B,S]           plain positions (each row's own length, padding aside)
 *      logits_index   int64[B]             the position of each row (in S) whose logits are wanted
 *      past_key_values.{i}.key / .value    float[B,kv_heads,C,head_dim] (graph float type); C may be 0
 * out: logits         float32[B,V]         next-token logits at logits_index
 *      last_hidden    float32[B,S,H]       final-norm hidden states of every position (SEG gathering)
 *      new_key_values.{i}.key / .value     float[B,kv_heads,S,head_dim]: the S new positions only
 *
 * Attention splits the softmax's keys into the cached and the new part instead of concatenating
 * the two (which would copy the whole cache at every step): scores of both parts are joined (a
 * [B,heads,S,C+S] tensor, small at decode), and the output is the sum of both parts' products.
 * Query heads are grouped per KV head rather than the KV repeated per query head, for the same
 * reason.
 */
import { newKeyName, newValueName, pastKeyName, pastValueName } from "@pixellm/bundle";
import { pixellmNames } from "@pixellm/checkpoint";
import { GraphBuilder, type GraphDefinition, floatSource } from "@pixellm/onnx";
import { FLOAT32_MIN } from "../constants/fp32";
import { rotaryTables } from "../constants/rotary";
import { checkpointWeights } from "../export/checkpoint-weight";
import type { ExportContext } from "../export/export-context";
import {
  dim,
  float32Scalar,
  fromFloat32,
  linear,
  mergeHeads,
  rmsNorm,
  shapeOf,
  silu,
  splitHeads,
  toFloat32,
} from "./layers";

export function buildLlmGraph(ctx: ExportContext): GraphDefinition {
  const { config } = ctx;
  const H = config.hidden_size;
  const headDim = H / config.num_attention_heads;
  const kvHeads = config.num_key_value_heads;
  const g = new GraphBuilder("llm", ctx.floatType);
  const embeds = g.input("inputs_embeds", "float32", ["batch", "sequence", H]);
  const mask = g.input("attention_mask", "int64", ["batch", "total_sequence"]);
  const positions = g.input("position_ids", "int64", ["batch", "sequence"]);
  const logitsIndex = g.input("logits_index", "int64", ["batch"]);
  const w = checkpointWeights(
    g,
    ctx.llm,
    `LLaMA config: hidden_size ${H}, intermediate_size ${config.intermediate_size}`,
  );

  const bias = attentionBias(g, embeds, mask);
  const rotary = rotaryFor(g, ctx, positions);
  const batch = dim(g, embeds, 0);
  const sequence = dim(g, embeds, 1);
  const qShape = shapeOf(g, [batch, sequence, g.int64s([config.num_attention_heads, headDim])]);
  const kvShape = shapeOf(g, [batch, sequence, g.int64s([kvHeads, headDim])]);
  const flat = g.int64s([-1, H]);
  const grouping: QueryGrouping = {
    batch,
    sequence,
    kvHeads,
    groups: config.num_attention_heads / kvHeads,
    headDim,
  };

  let x = g.op("Reshape", [fromFloat32(g, embeds), flat]); // [B*S, H]
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const n = pixellmNames.llmLayer(i);
    const past = {
      key: g.input(pastKeyName(i), g.floatType, ["batch", kvHeads, "past_sequence", headDim]),
      value: g.input(pastValueName(i), g.floatType, ["batch", kvHeads, "past_sequence", headDim]),
    };
    x = g.within(`layers.${i}`, () => {
      const h = rmsNorm(g, x, w(n.inputNorm, [H]), config.rms_norm_eps);
      const q = applyRotary(g, splitHeads(g, linear(g, h, w(n.q, [H, H])), qShape), rotary, headDim);
      const k = applyRotary(
        g,
        splitHeads(g, linear(g, h, w(n.k, [kvHeads * headDim, H])), kvShape),
        rotary,
        headDim,
      );
      const v = splitHeads(g, linear(g, h, w(n.v, [kvHeads * headDim, H])), kvShape);
      g.output(k, newKeyName(i), g.floatType, ["batch", kvHeads, "sequence", headDim]);
      g.output(v, newValueName(i), g.floatType, ["batch", kvHeads, "sequence", headDim]);
      const attended = cachedAttention(g, q, past, { key: k, value: v }, bias, grouping);
      const afterAttention = g.op("Add", [x, linear(g, mergeHeads(g, attended, flat), w(n.o, [H, H]))]);
      const h2 = rmsNorm(g, afterAttention, w(n.postAttentionNorm, [H]), config.rms_norm_eps);
      const F = config.intermediate_size;
      const gated = g.op("Mul", [silu(g, linear(g, h2, w(n.gate, [F, H]))), linear(g, h2, w(n.up, [F, H]))]);
      return g.op("Add", [afterAttention, linear(g, gated, w(n.down, [H, F]))]);
    });
  }
  const normed = rmsNorm(g, x, w(pixellmNames.finalNorm, [H]), config.rms_norm_eps);
  const hidden = g.op("Reshape", [normed, g.op("Shape", [embeds])]); // [B,S,H]
  g.output(toFloat32(g, hidden), "last_hidden", "float32", ["batch", "sequence", H]);
  // GatherElements with index [B,1,H] (logits_index repeated along H) picks one position per row.
  const index = g.op("Expand", [
    g.op("Unsqueeze", [logitsIndex, g.int64s([1, 2])]),
    shapeOf(g, [batch, g.int64s([1, H])]),
  ]);
  const last = g.op("Reshape", [g.op("GatherElements", [hidden, index], { axis: 1 }), flat]); // [B,H]
  const logits = linear(g, last, w(pixellmNames.lmHead, [config.vocab_size, H]));
  g.output(toFloat32(g, logits), "logits", "float32", ["batch", config.vocab_size]);
  return g.build();
}

interface KeyValue {
  /** [B,kv_heads,T,head_dim] */
  readonly key: string;
  readonly value: string;
}

interface QueryGrouping {
  /** 1-element int64 dimensions */
  readonly batch: string;
  readonly sequence: string;
  readonly kvHeads: number;
  /** query heads per KV head */
  readonly groups: number;
  readonly headDim: number;
}

/**
 * softmax((q/√d)·kᵀ + bias)·v over the cached keys and the new ones without joining the two:
 * q [B,heads,S,d] is regrouped to [B,kv_heads,groups·S,d] so each KV head is read once, the
 * scores of the cached part [.., C] and the new part [.., S] are concatenated (the only
 * concatenation, of scores), the softmax runs in float32 as LLaMA's does, and the output is
 * p_cached·v_cached + p_new·v_new. Returns [B,heads,S,d].
 */
function cachedAttention(
  g: GraphBuilder,
  q: string,
  cached: KeyValue,
  fresh: KeyValue,
  bias: string,
  { batch, sequence, kvHeads, groups, headDim }: QueryGrouping,
): string {
  const kvh = g.int64s([kvHeads]);
  // q/√d rather than (q·kᵀ)/√d: onnxruntime fuses a scaled product into a FusedMatMul with
  // alpha ≠ 1, whose kernel reads the cache at a quarter of the plain one's speed (measured on
  // cpu), and the Reshape in between keeps the scale out of the fusion.
  const scaled = g.op("Div", [q, g.scalar(Math.sqrt(headDim))]);
  const grouped = g.op("Reshape", [scaled, shapeOf(g, [batch, kvh, g.int64s([-1, headDim])])]); // [B,kv,G·S,d]
  const scores = (keys: string) =>
    g.op("MatMul", [grouped, g.op("Transpose", [keys], { perm: [0, 1, 3, 2] })]);
  const cachedScores = scores(cached.key); // [B,kv,G·S,C]
  const joined = toFloat32(g, g.op("Concat", [cachedScores, scores(fresh.key)], { axis: -1 })); // [B,kv,G·S,C+S]
  // The bias [B,1,S,C+S] applies to every group: scores are viewed as [B,kv,G,S,C+S] for the add.
  const perGroup = shapeOf(g, [batch, kvh, g.int64s([groups]), sequence, g.int64s([-1])]);
  const biased = g.op("Add", [g.op("Reshape", [joined, perGroup]), g.op("Unsqueeze", [bias, g.int64s([2])])]);
  const probabilities = fromFloat32(
    g,
    g.op("Reshape", [g.op("Softmax", [biased], { axis: -1 }), g.op("Shape", [joined])]),
  );
  const [cachedPart, freshPart] = g.opMulti(
    "Split",
    [probabilities, shapeOf(g, [dim(g, cachedScores, 3), sequence])],
    2,
    { axis: -1 },
  ) as [string, string];
  const out = g.op("Add", [
    g.op("MatMul", [cachedPart, cached.value]),
    g.op("MatMul", [freshPart, fresh.value]),
  ]); // [B,kv,G·S,d]
  const qShape = shapeOf(g, [batch, g.int64s([kvHeads * groups]), sequence, g.int64s([headDim])]);
  return g.op("Reshape", [out, qShape]);
}

/**
 * Additive float32 mask [B,1,S,T]: query s (absolute position P+s) may attend key t iff
 * t ≤ P+s and attention_mask[t] = 1; otherwise finfo(float32).min, as 4.31's
 * `_prepare_decoder_attention_mask` builds it.
 */
function attentionBias(g: GraphBuilder, embeds: string, mask: string): string {
  const scalar = (x: string) => g.op("Squeeze", [x, g.int64s([0])]);
  const sequence = dim(g, embeds, 1);
  const total = dim(g, mask, 1);
  const past = g.op("Sub", [total, sequence]);
  const zero = g.op("Constant", [], { value_int: 0 });
  const one = g.op("Constant", [], { value_int: 1 });
  const queryPositions = g.op("Add", [g.op("Range", [zero, scalar(sequence), one]), past]); // [S]
  const keyPositions = g.op("Range", [zero, scalar(total), one]); // [T]
  const causal = g.op("LessOrEqual", [
    g.op("Unsqueeze", [keyPositions, g.int64s([0])]),
    g.op("Unsqueeze", [queryPositions, g.int64s([1])]),
  ]); // [S,T]
  const keyValid = g.op("Unsqueeze", [g.op("Cast", [mask], { to: 9 }), g.int64s([1, 2])]); // [B,1,1,T]
  const allowed = g.op("And", [causal, keyValid]);
  return g.op("Where", [allowed, float32Scalar(g, 0), float32Scalar(g, FLOAT32_MIN)]);
}

interface Rotary {
  /** [B,1,S,head_dim] */
  readonly cos: string;
  readonly sin: string;
}

function rotaryFor(g: GraphBuilder, ctx: ExportContext, positions: string): Rotary {
  const { config } = ctx;
  const headDim = config.hidden_size / config.num_attention_heads;
  const tables = rotaryTables(headDim, config.max_position_embeddings, config.rope_theta);
  const gathered = (name: string, table: Float32Array) => {
    const t = g.weight(name, floatSource(g.floatType, [config.max_position_embeddings, headDim], table));
    return g.op("Unsqueeze", [g.op("Gather", [t, positions], { axis: 0 }), g.int64s([1])]);
  };
  return { cos: gathered("rotary_cos", tables.cos), sin: gathered("rotary_sin", tables.sin) };
}

/** q·cos + rotate_half(q)·sin, with rotate_half(x) = cat(−x[d/2:], x[:d/2]). */
function applyRotary(g: GraphBuilder, x: string, rotary: Rotary, headDim: number): string {
  const [first, second] = g.opMulti("Split", [x, g.int64s([headDim / 2, headDim / 2])], 2, { axis: -1 }) as [
    string,
    string,
  ];
  const rotated = g.op("Concat", [g.op("Neg", [second]), first], { axis: -1 });
  return g.op("Add", [g.op("Mul", [x, rotary.cos]), g.op("Mul", [rotated, rotary.sin])]);
}

/**
 * llm.onnx: the LLaMA decoder (transformers 4.31) with past/present KV tensors and an arbitrary
 * key mask, so padded image tokens stay masked at every step (spec 1.3 and 7: LLaVA's cached
 * path resets the mask to ones; the reference never takes it, and neither do we).
 *
 * in:  inputs_embeds  float32[B,S,H]       token embeddings with the image tokens spliced in
 *      attention_mask int64[B,T]           T = P + S; 1 = attend, 0 = masked key (padding, padded image tokens)
 *      position_ids   int64[B,S]           plain positions (arange from P for the reference)
 *      past_key_values.{i}.key / .value    float[B,kv_heads,P,head_dim] (graph float type)
 * out: logits         float32[B,V]         next-token logits of the LAST position only
 *      last_hidden    float32[B,S,H]       final-norm hidden states of every position (SEG gathering)
 *      present.{i}.key / .value            float[B,kv_heads,T,head_dim]
 */
import { pixellmNames } from "@pixellm/checkpoint";
import { GraphBuilder, type GraphDefinition, floatSource } from "@pixellm/onnx";
import { FLOAT32_MIN } from "../constants/fp32";
import { rotaryTables } from "../constants/rotary";
import { checkpointWeights } from "../export/checkpoint-weight";
import type { ExportContext } from "../export/export-context";
import {
  attentionCore,
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

export const pastKeyName = (layer: number) => `past_key_values.${layer}.key`;
export const pastValueName = (layer: number) => `past_key_values.${layer}.value`;
export const presentKeyName = (layer: number) => `present.${layer}.key`;
export const presentValueName = (layer: number) => `present.${layer}.value`;

export function buildLlmGraph(ctx: ExportContext): GraphDefinition {
  const { config } = ctx;
  const H = config.hidden_size;
  const headDim = H / config.num_attention_heads;
  const kvHeads = config.num_key_value_heads;
  const g = new GraphBuilder("llm", ctx.floatType);
  const embeds = g.input("inputs_embeds", "float32", ["batch", "sequence", H]);
  const mask = g.input("attention_mask", "int64", ["batch", "total_sequence"]);
  const positions = g.input("position_ids", "int64", ["batch", "sequence"]);
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
      const keys = g.op("Concat", [past.key, k], { axis: 2 });
      const values = g.op("Concat", [past.value, v], { axis: 2 });
      g.output(keys, presentKeyName(i), g.floatType, ["batch", kvHeads, "total_sequence", headDim]);
      g.output(values, presentValueName(i), g.floatType, ["batch", kvHeads, "total_sequence", headDim]);
      const groups = config.num_attention_heads / kvHeads;
      const attended = attentionCore(g, q, repeatKv(g, keys, groups), repeatKv(g, values, groups), {
        divisor: Math.sqrt(headDim),
        bias,
        softmaxInFloat32: true,
      });
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
  const lastIndex = g.op("Squeeze", [g.op("Sub", [sequence, g.int64s([1])]), g.int64s([0])]);
  const last = g.op("Gather", [hidden, lastIndex], { axis: 1 }); // [B,H]
  const logits = linear(g, last, w(pixellmNames.lmHead, [config.vocab_size, H]));
  g.output(toFloat32(g, logits), "logits", "float32", ["batch", config.vocab_size]);
  return g.build();
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

/** transformers' `repeat_kv`: [B,kv,T,d] → [B,kv·groups,T,d]. */
function repeatKv(g: GraphBuilder, x: string, groups: number): string {
  if (groups === 1) return x;
  const shape = g.op("Shape", [x]);
  const part = (start: number, end: number) => g.op("Slice", [shape, g.int64s([start]), g.int64s([end])]);
  const expanded = g.op("Expand", [
    g.op("Unsqueeze", [x, g.int64s([2])]),
    shapeOf(g, [part(0, 2), g.int64s([groups]), part(2, 4)]),
  ]);
  return g.op("Reshape", [expanded, shapeOf(g, [part(0, 1), g.int64s([-1]), part(2, 4)])]);
}

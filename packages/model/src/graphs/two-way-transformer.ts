/**
 * SAM's TwoWayTransformer (segment_anything/modeling/transformer.py) as used by PixelLM's
 * MaskDecoderMultiScale: `depth` blocks of token self-attention, token→image cross-attention,
 * MLP (ReLU) and image→token cross-attention, then a final token→image attention. Block 0
 * skips the query PE and the residual of its self-attention. Cross attentions run at half width.
 */
import { pixellmNames, twoWayAttentionModules } from "@pixellm/checkpoint";
import type { GraphBuilder } from "@pixellm/onnx";
import { checkpointWeights } from "../export/checkpoint-weight";
import type { ExportContext } from "../export/export-context";
import { attentionCore, layerNorm, linearNd, shapeOf } from "./layers";

const LAYER_NORM_EPS = 1e-5;

export interface TwoWayInputs {
  /** [N, tokens, D] — also the query positional encoding (SAM passes `point_embedding`). */
  readonly tokens: string;
  /** [N, hw, D] flattened image features. */
  readonly image: string;
  /** [1, hw, D] image positional encoding. */
  readonly imagePe: string;
  /** N as a 1-element int64 tensor. */
  readonly count: string;
}

/** out: { queries [N, tokens, D], keys [N, hw, D] } */
export function twoWayTransformer(
  g: GraphBuilder,
  ctx: ExportContext,
  level: number,
  input: TwoWayInputs,
): { queries: string; keys: string } {
  const D = ctx.config.out_dim;
  const dec = pixellmNames.decoder;
  const widths = new Map(
    twoWayAttentionModules(ctx.config.mask_decoder_depth).map((m) => [m.module, m.downsampled ? D / 2 : D]),
  );
  const w = checkpointWeights(g, ctx.llm, `mask decoder width out_dim ${D}`);
  const norm = (x: string, module: string) => {
    const n = dec.layerNorm(level, module);
    return layerNorm(g, x, w(n.weight, [D]), w(n.bias, [D]), LAYER_NORM_EPS);
  };
  const attention = (module: string, q: string, k: string, v: string) => {
    const inner = widths.get(module)!;
    const heads = ctx.config.mask_decoder_num_heads;
    const a = dec.attention(level, module);
    const project = (x: string, weight: string, bias: string) => {
      const y = linearNd(g, x, w(weight, [inner, D]), w(bias, [inner]));
      const perHead = shapeOf(g, [input.count, g.int64s([-1, heads, inner / heads])]);
      return g.op("Transpose", [g.op("Reshape", [y, perHead])], { perm: [0, 2, 1, 3] });
    };
    const out = attentionCore(
      g,
      project(q, a.qWeight, a.qBias),
      project(k, a.kWeight, a.kBias),
      project(v, a.vWeight, a.vBias),
      {
        divisor: Math.sqrt(inner / heads),
      },
    );
    const merged = g.op("Reshape", [
      g.op("Transpose", [out], { perm: [0, 2, 1, 3] }),
      shapeOf(g, [input.count, g.int64s([-1, inner])]),
    ]);
    return linearNd(g, merged, w(a.outWeight, [D, inner]), w(a.outBias, [D]));
  };
  const add = (a: string, b: string) => g.op("Add", [a, b]);

  const queryPe = input.tokens;
  let queries = input.tokens;
  let keys = input.image;
  for (let j = 0; j < ctx.config.mask_decoder_depth; j++) {
    [queries, keys] = g.within(`transformer.${level}.layers.${j}`, () => {
      let q =
        j === 0
          ? attention(`layers.${j}.self_attn`, queries, queries, queries)
          : add(
              queries,
              attention(`layers.${j}.self_attn`, add(queries, queryPe), add(queries, queryPe), queries),
            );
      q = norm(q, `layers.${j}.norm1`);
      q = norm(
        add(
          q,
          attention(`layers.${j}.cross_attn_token_to_image`, add(q, queryPe), add(keys, input.imagePe), keys),
        ),
        `layers.${j}.norm2`,
      );
      const mlp = dec.blockMlp(level, j);
      const F = ctx.config.mask_decoder_mlp_dim;
      const hidden = g.op("Relu", [linearNd(g, q, w(mlp.lin1Weight, [F, D]), w(mlp.lin1Bias, [F]))]);
      q = norm(
        add(q, linearNd(g, hidden, w(mlp.lin2Weight, [D, F]), w(mlp.lin2Bias, [D]))),
        `layers.${j}.norm3`,
      );
      const imageKeys = add(keys, input.imagePe);
      const k = norm(
        add(keys, attention(`layers.${j}.cross_attn_image_to_token`, imageKeys, add(q, queryPe), q)),
        `layers.${j}.norm4`,
      );
      return [q, k] as const;
    });
  }
  const final = g.within(`transformer.${level}.final`, () =>
    norm(
      add(
        queries,
        attention("final_attn_token_to_image", add(queries, queryPe), add(keys, input.imagePe), keys),
      ),
      "norm_final_attn",
    ),
  );
  return { queries: final, keys };
}

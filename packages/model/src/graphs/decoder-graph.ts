/**
 * decoder.onnx: text_hidden_fcs, the codebook fusion the official code really computes (mean
 * of the tokens of each scale through unregistered 1/seg_token_num weights), and the 2-level
 * MaskDecoderMultiScale with its constant positional encodings, summed with the fixed 0.5/0.5
 * scale weights (spec sections 2–3; PixelLM.py `evaluate`, mask_decoder_multi_scale.py).
 * Targets of several images decode in one run: each target names its image.
 *
 * in:  seg_hidden        float32[N,C,H]          codebook hidden states, C = seg_token_num·2 in order of appearance
 *      decoder_features  float32[M,2,D,32,32]    from vision.onnx, one entry per image
 *      target_image      int64[N]                index into decoder_features for each target
 * out: low_res_masks     float32[N,1,128,128]    mask logits before resizing to the image
 * dump-only outputs (DUMP_OUTPUTS; stages never fetch them):
 *      pred_embeddings    float32[N·C,D]          text_hidden_fcs of each codebook state
 *      sparse_embeddings  float32[N,2,D]          the fused prompts E
 *      l_low_res_masks_0  float32[N,1,64,64]      level-0 mask logits
 *      l_low_res_masks_1  float32[N,1,128,128]    level-1 mask logits
 */
import { DUMP_OUTPUTS } from "@pixellm/bundle";
import { codebookSize, pixellmNames } from "@pixellm/checkpoint";
import { GraphBuilder, type GraphDefinition, floatSource } from "@pixellm/onnx";
import { f32 } from "../constants/fp32";
import { randomFourierPositionalEncoding } from "../constants/random-fourier-pe";
import { checkpointWeights, readFloat32 } from "../export/checkpoint-weight";
import type { ExportContext } from "../export/export-context";
import { LOW_RES_MASK_SIZE, PATCH_GRID } from "./geometry";
import { dim, fromFloat32, gelu, layerNorm2d, linear, linearNd, shapeOf, toFloat32 } from "./layers";
import { twoWayTransformer } from "./two-way-transformer";

/** `multiscale_scalar`: unregistered parameters, so they keep their initial 1/scales. */
const SCALE_WEIGHT = 0.5;
const MASK_TOKENS = 4;

export async function buildDecoderGraph(ctx: ExportContext): Promise<GraphDefinition> {
  const { config } = ctx;
  const { hidden_size: H, out_dim: D } = config;
  const C = codebookSize(config);
  const g = new GraphBuilder("decoder", ctx.floatType);
  const segHidden = fromFloat32(g, g.input("seg_hidden", "float32", ["targets", C, H]));
  const features = fromFloat32(
    g,
    g.input("decoder_features", "float32", ["images", 2, D, PATCH_GRID, PATCH_GRID]),
  );
  const targetImage = g.input("target_image", "int64", ["targets"]);
  const count = dim(g, segHidden, 0);
  const w = checkpointWeights(g, ctx.llm, `pixel decoder: hidden_size ${H}, out_dim ${D}`);

  const { projected, prompts } = fusedPrompts(g, ctx, segHidden, count); // [N·C,D], [N,2,D]
  const perTarget = g.op("Gather", [features, targetImage], { axis: 0 }); // [N,2,D,32,32]
  const scaleFeatures = (l: number) =>
    g.op("Gather", [perTarget, g.op("Constant", [], { value_int: l })], { axis: 1 });
  const dense = g.op("Reshape", [w(pixellmNames.noMaskEmbed, [1, D]), g.int64s([1, D, 1, 1])]);
  const pe0 = await positionalEncoding(g, ctx, pixellmNames.promptPeGaussian, PATCH_GRID);
  const pe1 = await positionalEncoding(g, ctx, pixellmNames.decoder.pe1Gaussian, 2 * PATCH_GRID);
  const dec = pixellmNames.decoder;
  const outputTokens = g.op("Concat", [w(dec.iouToken, [1, D]), w(dec.maskTokens, [MASK_TOKENS, D])], {
    axis: 0,
  }); // [5,D]
  const levelEmbed = w(dec.levelEmbed, [2, D]);

  let previousMask = "";
  let lowRes = "";
  const levelMasks: string[] = [];
  for (const level of [0, 1]) {
    const mask = g.within(`mask_decoder.level${level}`, () => {
      const levelTokens = g.op(
        "Concat",
        [
          g.op("Expand", [
            g.op("Unsqueeze", [outputTokens, g.int64s([0])]),
            shapeOf(g, [count, g.int64s([MASK_TOKENS + 1, D])]),
          ]),
          g.op("Slice", [prompts, g.int64s([level]), g.int64s([level + 1]), g.int64s([1])]),
        ],
        { axis: 1 },
      );
      const tokens = g.op("Add", [
        levelTokens,
        g.op("Gather", [levelEmbed, g.op("Constant", [], { value_int: level })], { axis: 0 }),
      ]); // [N,6,D]
      let src = scaleFeatures(level); // [N,D,32,32]
      if (level === 1) {
        src = upscale(g, ctx, dec.upsample2x, src, D);
        // src *= sigmoid(mean_c(previous mask)) + 1; the level-0 mask has one channel
        src = g.op("Mul", [g.op("Add", [g.op("Sigmoid", [previousMask]), g.scalar(1)]), src]);
      }
      src = g.op("Add", [src, dense]);
      const side = level === 0 ? PATCH_GRID : 2 * PATCH_GRID;
      const flatImage = g.op(
        "Transpose",
        [g.op("Reshape", [src, shapeOf(g, [count, g.int64s([D, side * side])])])],
        { perm: [0, 2, 1] },
      );
      const { queries, keys } = twoWayTransformer(g, ctx, level, {
        tokens,
        image: flatImage,
        imagePe: level === 0 ? pe0 : pe1,
        count,
      });
      const keyMaps = g.op("Reshape", [
        g.op("Transpose", [keys], { perm: [0, 2, 1] }),
        shapeOf(g, [count, g.int64s([D, side, side])]),
      ]);
      const upscaled = upscale(g, ctx, dec.outputUpscaling, keyMaps, D / 8); // [N,D/8,2s,2s]
      const hyper = hypernetwork(
        g,
        ctx,
        g.op("Gather", [queries, g.op("Constant", [], { value_int: 1 })], { axis: 1 }),
      ); // [N,D/8]
      const flatUp = g.op("Reshape", [upscaled, shapeOf(g, [count, g.int64s([D / 8, 4 * side * side])])]);
      const logits = g.op("MatMul", [g.op("Unsqueeze", [hyper, g.int64s([1])]), flatUp]); // [N,1,4s²]
      return g.op("Reshape", [logits, shapeOf(g, [count, g.int64s([1, 2 * side, 2 * side])])]);
    });
    const resized = level === 0 ? resizeTo(g, mask, count, LOW_RES_MASK_SIZE) : mask;
    const weighted = g.op("Mul", [resized, g.scalar(SCALE_WEIGHT)]);
    lowRes = lowRes ? g.op("Add", [lowRes, weighted]) : weighted;
    previousMask = mask;
    levelMasks.push(mask);
  }
  g.output(toFloat32(g, lowRes), "low_res_masks", "float32", [
    "targets",
    1,
    LOW_RES_MASK_SIZE,
    LOW_RES_MASK_SIZE,
  ]);
  g.output(toFloat32(g, projected), DUMP_OUTPUTS.predEmbeddings, "float32", ["codebook_states", D]);
  g.output(toFloat32(g, prompts), DUMP_OUTPUTS.sparseEmbeddings, "float32", ["targets", 2, D]);
  levelMasks.forEach((mask, level) => {
    const side = PATCH_GRID * 2 ** (level + 1);
    g.output(toFloat32(g, mask), DUMP_OUTPUTS.levelMasks[level]!, "float32", ["targets", 1, side, side]);
  });
  return g.build();
}

/**
 * text_hidden_fcs[0] (Linear → ReLU → Linear), viewed (N, 2 scales, seg_token_num, D), then
 * `Σ multiseg_scalar[i]·tok_i` with every scalar float32(1/seg_token_num).
 * out: projected [N·C,D] (text_hidden_fcs), prompts [N,2,D]
 */
function fusedPrompts(
  g: GraphBuilder,
  ctx: ExportContext,
  segHidden: string,
  count: string,
): { projected: string; prompts: string } {
  const { hidden_size: H, out_dim: D, seg_token_num: perScale } = ctx.config;
  const fc = pixellmNames.textHiddenFcs;
  const w = checkpointWeights(g, ctx.llm, "text_hidden_fcs maps hidden_size → hidden_size → out_dim");
  const projected = g.within("text_hidden_fcs", () => {
    const hidden = g.op("Relu", [
      linear(g, g.op("Reshape", [segHidden, g.int64s([-1, H])]), w(fc.w0, [H, H]), w(fc.b0, [H])),
    ]);
    return linear(g, hidden, w(fc.w2, [D, H]), w(fc.b2, [D]));
  });
  const grouped = g.op("Reshape", [projected, shapeOf(g, [count, g.int64s([2, perScale, D])])]);
  const token = (i: number) => g.op("Gather", [grouped, g.op("Constant", [], { value_int: i })], { axis: 2 });
  if (perScale === 1) return { projected, prompts: token(0) };
  const scalar = g.scalar(f32(1 / perScale));
  let fused = g.op("Mul", [token(0), scalar]);
  for (let i = 1; i < perScale; i++) fused = g.op("Add", [fused, g.op("Mul", [token(i), scalar])]);
  return { projected, prompts: fused };
}

/** ConvTranspose(k2, s2) → LayerNorm2d → GELU (`output_upscaling`, `upsample_2x`). */
function upscale(
  g: GraphBuilder,
  ctx: ExportContext,
  names: { convWeight: string; convBias: string; lnWeight: string; lnBias: string },
  x: string,
  outChannels: number,
): string {
  const D = ctx.config.out_dim;
  const w = checkpointWeights(g, ctx.llm, `mask decoder width out_dim ${D}`);
  const conv = g.op(
    "ConvTranspose",
    [x, w(names.convWeight, [D, outChannels, 2, 2]), w(names.convBias, [outChannels])],
    { kernel_shape: [2, 2], strides: [2, 2] },
  );
  const affine = (name: string) => g.op("Reshape", [w(name, [outChannels]), g.int64s([outChannels, 1, 1])]);
  return gelu(g, layerNorm2d(g, conv, affine(names.lnWeight), affine(names.lnBias)));
}

/** output_hypernetworks_mlps[0] on mask token 0 (the other three MLPs and the IoU head are dead at inference). */
function hypernetwork(g: GraphBuilder, ctx: ExportContext, maskToken: string): string {
  const D = ctx.config.out_dim;
  const w = checkpointWeights(g, ctx.llm, `mask decoder width out_dim ${D}`);
  let x = maskToken;
  for (let layer = 0; layer < 3; layer++) {
    const l = pixellmNames.decoder.hypernetworkMlp(0, layer);
    const out = layer === 2 ? D / 8 : D;
    x = linearNd(g, x, w(l.weight, [out, D]), w(l.bias, [out]));
    if (layer < 2) x = g.op("Relu", [x]);
  }
  return x;
}

/** PositionEmbeddingRandom at side×side, flattened to the transformer's key layout. out: [1, side², D] */
async function positionalEncoding(
  g: GraphBuilder,
  ctx: ExportContext,
  gaussianName: string,
  side: number,
): Promise<string> {
  const D = ctx.config.out_dim;
  const gaussian = await readFloat32(ctx.llm, gaussianName, [2, D / 2]);
  const chw = randomFourierPositionalEncoding(gaussian, side, side);
  const hwc = new Float32Array(chw.length);
  for (let c = 0; c < D; c++)
    for (let p = 0; p < side * side; p++) hwc[p * D + c] = chw[c * side * side + p]!;
  return g.weight(`${gaussianName}.pe${side}`, floatSource(g.floatType, [1, side * side, D], hwc));
}

/** `F.interpolate(mode="bilinear", align_corners=False)` to size×size. */
function resizeTo(g: GraphBuilder, x: string, count: string, size: number): string {
  return g.op("Resize", [x, "", "", shapeOf(g, [count, g.int64s([1, size, size])])], {
    mode: "linear",
    coordinate_transformation_mode: "half_pixel",
  });
}

/**
 * vision.onnx: CLIP ViT at 448 px with PixelLM's padding mask, the two feature taps, the LLM
 * image tokens (2×2 pooling → mm_projector) and the decoder features (out_mm_projector → neck).
 * Spec sections 1.1–1.2; official code: clip_encoder.py, custom_clip.py, llava_arch.py
 * (`encode_images`, `prepare_inputs_labels_for_multimodal`), PixelLM.py (`evaluate`).
 *
 * in:  pixel_values   float32[B,3,448,448]  normalised, zero-padded bottom/right
 *      resized_hw     int64[B,2]            (h', w') of the resized image inside the 448² canvas
 * out: image_embeds   float32[B,256,H]      LLM image tokens
 *      image_mask     int64[B,256]          1 where the token covers the image, 0 on padding
 *      decoder_features float32[B,2,D,32,32] scale 0 = CLIP layer 23, scale 1 = layer 14
 * dump-only outputs (DUMP_OUTPUTS; stages never fetch them):
 *      image_features      float32[B,1024,W]   hidden_states[-2][:, 1:]
 *      pre_image_features  float32[B,1024,W]   hidden_states[-11][:, 1:]
 */
import { DUMP_OUTPUTS } from "@pixellm/bundle";
import { SECOND_SCALE_HIDDEN_STATE, clipNames, pixellmNames } from "@pixellm/checkpoint";
import { GraphBuilder, type GraphDefinition, floatSource, memorySource } from "@pixellm/onnx";
import { FLOAT16_MASK_VALUE, FLOAT32_MIN } from "../constants/fp32";
import { rebuildPositionTable } from "../constants/position-table";
import type { ExportContext } from "../export/export-context";
import { checkpointWeights, readFloat32 } from "../export/checkpoint-weight";
import {
  attentionCore,
  dim,
  fromFloat32,
  gelu,
  layerNorm,
  layerNorm2d,
  linear,
  mergeHeads,
  quickGelu,
  shapeOf,
  splitHeads,
  toFloat32,
} from "./layers";
import { IMAGE_SIZE, LLM_TOKEN_GRID, PATCH_GRID } from "./geometry";

export async function buildVisionGraph(ctx: ExportContext): Promise<GraphDefinition> {
  const { clip } = ctx;
  const g = new GraphBuilder("vision", ctx.floatType);
  const pixels = fromFloat32(g, g.input("pixel_values", "float32", ["batch", 3, IMAGE_SIZE, IMAGE_SIZE]));
  const resizedHw = g.input("resized_hw", "int64", ["batch", 2]);
  const batch = dim(g, pixels, 0);

  const tokens = await embedPatches(g, ctx, pixels, batch); // [B*1025, W]
  const keyBias = keyMaskBias(g, ctx, resizedHw, batch); // [B,1,1,1025]
  const hiddenStates = clip.num_hidden_layers + 1;
  const llmTap = hiddenStates + ctx.config.mm_vision_select_layer;
  const decoderTap = hiddenStates + SECOND_SCALE_HIDDEN_STATE;
  const taps = encoderTaps(g, ctx, tokens, keyBias, batch, [llmTap, decoderTap]);
  const [llmFeatures, secondFeatures] = taps.map((t) => dropClsToken(g, ctx, t, batch)) as [string, string]; // [B,1024,W]

  g.output(toFloat32(g, llmImageTokens(g, ctx, llmFeatures, batch)), "image_embeds", "float32", [
    "batch",
    LLM_TOKEN_GRID ** 2,
    ctx.config.hidden_size,
  ]);
  g.output(imageTokenMask(g, resizedHw, clip.patch_size), "image_mask", "int64", [
    "batch",
    LLM_TOKEN_GRID ** 2,
  ]);
  const features = decoderFeatures(g, ctx, llmFeatures, secondFeatures, batch);
  g.output(toFloat32(g, features), "decoder_features", "float32", [
    "batch",
    2,
    ctx.config.out_dim,
    PATCH_GRID,
    PATCH_GRID,
  ]);
  const tapShape = ["batch", PATCH_GRID ** 2, clip.hidden_size];
  g.output(toFloat32(g, llmFeatures), DUMP_OUTPUTS.imageFeatures, "float32", tapShape);
  g.output(toFloat32(g, secondFeatures), DUMP_OUTPUTS.preImageFeatures, "float32", tapShape);
  return g.build();
}

/** Patch conv, CLS token, the rebuilt 1025-row position table, pre_layrnorm. out: [B*1025, W] */
async function embedPatches(
  g: GraphBuilder,
  ctx: ExportContext,
  pixels: string,
  batch: string,
): Promise<string> {
  const { clip } = ctx;
  const W = clip.hidden_size;
  const p = clip.patch_size;
  const w = checkpointWeights(g, ctx.vision);
  const patches = g.op("Conv", [pixels, w(clipNames.patchEmbedding, [W, 3, p, p])], {
    kernel_shape: [p, p],
    strides: [p, p],
  });
  const patchTokens = g.op(
    "Transpose",
    [g.op("Reshape", [patches, shapeOf(g, [batch, g.int64s([W, PATCH_GRID ** 2])])])],
    { perm: [0, 2, 1] },
  );
  const cls = g.op("Expand", [
    g.op("Reshape", [w(clipNames.classEmbedding, [W]), g.int64s([1, 1, W])]),
    shapeOf(g, [batch, g.int64s([1, W])]),
  ]);
  const oldGrid = clip.image_size / p;
  const table = rebuildPositionTable(
    await readFloat32(ctx.vision, clipNames.positionEmbedding, [oldGrid ** 2 + 1, W]),
    W,
    oldGrid,
    PATCH_GRID,
  );
  const positions = g.weight(
    "position_embedding_448",
    floatSource(g.floatType, [PATCH_GRID ** 2 + 1, W], table),
  );
  const embedded = g.op("Add", [g.op("Concat", [cls, patchTokens], { axis: 1 }), positions]);
  const flat = g.op("Reshape", [embedded, g.int64s([-1, W])]);
  const pre = clipNames.preLayerNorm;
  return layerNorm(g, flat, w(pre.weight, [W]), w(pre.bias, [W]), clip.layer_norm_eps);
}

/**
 * The additive key mask of `_CLIPVisionModel`: patch (i,j) is a valid key iff p·i < h' and
 * p·j < w' (the 448² pixel mask reduced to 32² by nearest sampling); CLS is always valid;
 * invalid keys get finfo(float32).min (−1e4 in float16 graphs). out: [B,1,1,1025]
 */
function keyMaskBias(g: GraphBuilder, ctx: ExportContext, resizedHw: string, batch: string): string {
  const patchValid = gridMask(g, resizedHw, ctx.clip.patch_size, PATCH_GRID); // [B,1024] bool
  const clsValid = g.op("Expand", [
    g.weight("cls_always_valid", memorySource("bool", [1, 1], Uint8Array.of(1))),
    shapeOf(g, [batch, g.int64s([1])]),
  ]);
  const valid = g.op("Concat", [clsValid, patchValid], { axis: 1 });
  const masked = g.floatType === "float32" ? FLOAT32_MIN : FLOAT16_MASK_VALUE;
  const bias = g.op("Where", [valid, g.scalar(0), g.scalar(masked)]);
  return g.op("Reshape", [bias, shapeOf(g, [batch, g.int64s([1, 1, PATCH_GRID ** 2 + 1])])]);
}

/** Cell (i,j) of a size×size grid with `stride`-pixel cells is valid iff stride·i < h' and stride·j < w'. out: bool[B, size²] */
function gridMask(g: GraphBuilder, resizedHw: string, stride: number, size: number): string {
  const starts = g.int64s(
    Array.from({ length: size }, (_, i) => stride * i),
    [1, size],
  );
  const h = g.op("Slice", [resizedHw, g.int64s([0]), g.int64s([1]), g.int64s([1])]); // [B,1]
  const w = g.op("Slice", [resizedHw, g.int64s([1]), g.int64s([2]), g.int64s([1])]);
  const rows = g.op("Unsqueeze", [g.op("Less", [starts, h]), g.int64s([2])]); // [B,size,1]
  const cols = g.op("Unsqueeze", [g.op("Less", [starts, w]), g.int64s([1])]); // [B,1,size]
  return g.op("Reshape", [g.op("And", [rows, cols]), g.int64s([0, size * size])]);
}

/** Runs CLIP encoder layers up to the deepest tap; returns `hidden_states[k]` for each k. out: [B*1025, W] each */
function encoderTaps(
  g: GraphBuilder,
  ctx: ExportContext,
  x0: string,
  keyBias: string,
  batch: string,
  taps: readonly number[],
): string[] {
  const { clip } = ctx;
  const W = clip.hidden_size;
  const heads = clip.num_attention_heads;
  const headDim = W / heads;
  const tokens = PATCH_GRID ** 2 + 1;
  const perHead = shapeOf(g, [batch, g.int64s([tokens, heads, headDim])]);
  const flat = g.int64s([-1, W]);
  const w = checkpointWeights(g, ctx.vision, "CLIP vision tower");
  const states = [x0];
  let x = x0;
  for (let i = 0; i < Math.max(...taps); i++) {
    const n = clipNames.layer(i);
    x = g.within(`clip.${i}`, () => {
      const h = layerNorm(g, x, w(n.ln1Weight, [W]), w(n.ln1Bias, [W]), clip.layer_norm_eps);
      // HF CLIPAttention scales q after its bias: q_proj(x) * head_dim^-0.5
      const q = g.op("Mul", [linear(g, h, w(n.qWeight, [W, W]), w(n.qBias, [W])), g.scalar(headDim ** -0.5)]);
      const k = linear(g, h, w(n.kWeight, [W, W]), w(n.kBias, [W]));
      const v = linear(g, h, w(n.vWeight, [W, W]), w(n.vBias, [W]));
      const attended = attentionCore(
        g,
        splitHeads(g, q, perHead),
        splitHeads(g, k, perHead),
        splitHeads(g, v, perHead),
        { bias: keyBias },
      );
      const afterAttention = g.op("Add", [
        x,
        linear(g, mergeHeads(g, attended, flat), w(n.outWeight, [W, W]), w(n.outBias, [W])),
      ]);
      const h2 = layerNorm(g, afterAttention, w(n.ln2Weight, [W]), w(n.ln2Bias, [W]), clip.layer_norm_eps);
      const fc1 = linear(
        g,
        h2,
        w(n.fc1Weight, [clip.intermediate_size, W]),
        w(n.fc1Bias, [clip.intermediate_size]),
      );
      const activated = clip.hidden_act === "quick_gelu" ? quickGelu(g, fc1) : gelu(g, fc1);
      return g.op("Add", [
        afterAttention,
        linear(g, activated, w(n.fc2Weight, [W, clip.intermediate_size]), w(n.fc2Bias, [W])),
      ]);
    });
    states.push(x);
  }
  return taps.map((t) => states[t]!);
}

/** [B*1025, W] → [B,1024,W] (`feature_select`: `[:, 1:]`). */
function dropClsToken(g: GraphBuilder, ctx: ExportContext, x: string, batch: string): string {
  const seq = g.op("Reshape", [
    x,
    shapeOf(g, [batch, g.int64s([PATCH_GRID ** 2 + 1, ctx.clip.hidden_size])]),
  ]);
  return g.op("Slice", [seq, g.int64s([1]), g.int64s([PATCH_GRID ** 2 + 1]), g.int64s([1])]);
}

/**
 * `F.interpolate(32×32 → 16×16, bilinear, align_corners=False)`, which samples exactly between
 * the 4 patches of each 2×2 block (a 2×2 mean), then mm_projector. out: [B,256,H]
 */
function llmImageTokens(g: GraphBuilder, ctx: ExportContext, features: string, batch: string): string {
  const W = ctx.clip.hidden_size;
  const blocks = g.op("Reshape", [features, g.int64s([0, LLM_TOKEN_GRID, 2, LLM_TOKEN_GRID, 2, W])]);
  const pooled = g.op("ReduceMean", [blocks], { axes: [2, 4], keepdims: 0 });
  const projected = projector(g, ctx, "mm_projector", g.op("Reshape", [pooled, g.int64s([-1, W])]));
  return g.op("Reshape", [
    projected,
    shapeOf(g, [batch, g.int64s([LLM_TOKEN_GRID ** 2, ctx.config.hidden_size])]),
  ]);
}

/** LLM image-token validity: the 32² patch mask nearest-sampled to 16², i.e. 2p·i < h' and 2p·j < w'. out: int64[B,256] */
function imageTokenMask(g: GraphBuilder, resizedHw: string, patchSize: number): string {
  return g.op("Cast", [gridMask(g, resizedHw, 2 * patchSize, LLM_TOKEN_GRID)], { to: 7 });
}

/** Linear(mm_hidden, 2H) → GELU → Linear(2H, H), shared by the LLM and decoder branches. in: [M, W]; out: [M, H] */
function projector(
  g: GraphBuilder,
  ctx: ExportContext,
  which: "mm_projector" | "out_mm_projector",
  x: string,
): string {
  const H = ctx.config.hidden_size;
  const n = pixellmNames.projector(which);
  const w = checkpointWeights(g, ctx.llm, `${which} maps mm_hidden_size → 2·hidden_size → hidden_size`);
  return g.within(which, () => {
    const hidden = gelu(g, linear(g, x, w(n.w0, [2 * H, ctx.config.mm_hidden_size]), w(n.b0, [2 * H])));
    return linear(g, hidden, w(n.w2, [H, 2 * H]), w(n.b2, [H]));
  });
}

/**
 * out_mm_projector on both taps, viewed as [H,32,32] maps the way `evaluate` does
 * (`view(scales, 1024, H).permute(0,2,1).view(scales, H, 32, 32)`), then image_feature_neck.
 * out: [B,2,D,32,32]
 */
function decoderFeatures(
  g: GraphBuilder,
  ctx: ExportContext,
  scale0: string,
  scale1: string,
  batch: string,
): string {
  const { hidden_size: H, out_dim: D } = ctx.config;
  const W = ctx.clip.hidden_size;
  const both = g.op("Concat", [scale0, scale1], { axis: 0 }); // [2B,1024,W], scale-major
  const projected = projector(g, ctx, "out_mm_projector", g.op("Reshape", [both, g.int64s([-1, W])]));
  const maps = g.op("Reshape", [
    g.op("Transpose", [g.op("Reshape", [projected, g.int64s([-1, PATCH_GRID ** 2, H])])], {
      perm: [0, 2, 1],
    }),
    g.int64s([-1, H, PATCH_GRID, PATCH_GRID]),
  ]);
  const neck = pixellmNames.neck;
  const w = checkpointWeights(g, ctx.llm, "image_feature_neck maps hidden_size → out_dim");
  const channelAffine = (name: string) => g.op("Reshape", [w(name, [D]), g.int64s([D, 1, 1])]);
  const necked = g.within("image_feature_neck", () => {
    const conv1 = g.op("Conv", [maps, w(neck.conv1, [D, H, 1, 1])], { kernel_shape: [1, 1] });
    const ln1 = layerNorm2d(g, conv1, channelAffine(neck.ln1Weight), channelAffine(neck.ln1Bias));
    const conv3 = g.op("Conv", [ln1, w(neck.conv3, [D, D, 3, 3])], {
      kernel_shape: [3, 3],
      pads: [1, 1, 1, 1],
    });
    return layerNorm2d(g, conv3, channelAffine(neck.ln2Weight), channelAffine(neck.ln2Bias));
  });
  const scaleMajor = g.op("Reshape", [
    necked,
    shapeOf(g, [g.int64s([2]), batch, g.int64s([D, PATCH_GRID, PATCH_GRID])]),
  ]);
  return g.op("Transpose", [scaleMajor], { perm: [1, 0, 2, 3, 4] });
}

/**
 * From gathered SEG hidden states to 128×128 mask logits (model/PixelLM.py evaluate,
 * prompt_encoder.py, mask_decoder_multi_scale.py): text_hidden_fcs, the fixed-weight fusion of
 * the 3 tokens per scale, the prompt encoder's sparse/dense embeddings, and the 2-level decoder
 * whose level masks are summed with the fixed scale weights 0.5 after resizing to 128×128.
 */
import type { PixelLMConfig } from "@pixellm/checkpoint";
import { ReferenceModelError } from "./errors";
import { geluInPlace, reluInPlace, sigmoid } from "./kernels/activations";
import { convTranspose2x2, type ConvWeights } from "./kernels/conv";
import { resizeBilinear } from "./kernels/interpolate";
import { linear, matmul, transpose, type LinearWeights } from "./kernels/linear";
import { layerNorm2d, type AffineNorm } from "./kernels/norm";
import { randomPositionEncoding } from "./position-encoding";
import {
  loadTwoWayTransformer,
  runTwoWayTransformer,
  type TwoWayTransformerWeights,
} from "./two-way-transformer";
import { readConv, readLinear, readNorm, readWeight, type WeightSource } from "./weights";

/** evaluate() accumulates the level masks at this hard-coded side. */
export const LOW_RES_SIZE = 128;
/** num_multimask_outputs=3 → 4 mask tokens, after the IoU token. */
const MASK_TOKENS = 4;
const LAYER_NORM_2D_EPS = 1e-6;
/** image_feature_scale_num, hard-coded by PixelLMForCausalLM.__init__. */
const SCALES = 2;

export interface PixelDecoderWeights {
  readonly config: PixelLMConfig;
  readonly textFc1: LinearWeights;
  readonly textFc2: LinearWeights;
  readonly noMaskEmbed: Float32Array;
  readonly pe0Gaussian: Float32Array;
  readonly pe1Gaussian: Float32Array;
  readonly iouToken: Float32Array;
  readonly maskTokens: Float32Array;
  readonly levelEmbed: Float32Array;
  readonly transformers: readonly TwoWayTransformerWeights[];
  readonly upsample: ConvWeights;
  readonly upsampleNorm: AffineNorm;
  readonly outputUpscaling: ConvWeights;
  readonly outputUpscalingNorm: AffineNorm;
  /** output_hypernetworks_mlps.0, the only one whose mask is kept (multimask_output=False). */
  readonly hypernetwork: readonly LinearWeights[];
}

export async function loadPixelDecoder(
  source: WeightSource,
  config: PixelLMConfig,
): Promise<PixelDecoderWeights> {
  const h = config.hidden_size;
  const d = config.out_dim;
  const md = "model.mask_decoder";
  const transformers: TwoWayTransformerWeights[] = [];
  for (let l = 0; l < SCALES; l++) {
    transformers.push(
      await loadTwoWayTransformer(source, `${md}.transformer.${l}`, {
        width: d,
        heads: config.mask_decoder_num_heads,
        mlpDim: config.mask_decoder_mlp_dim,
        depth: config.mask_decoder_depth,
      }),
    );
  }
  const hyper = `${md}.output_hypernetworks_mlps.0.layers`;
  return {
    config,
    textFc1: await readLinear(source, "model.text_hidden_fcs.0.0", h, h),
    textFc2: await readLinear(source, "model.text_hidden_fcs.0.2", h, d),
    noMaskEmbed: await readWeight(source, "model.prompt_encoder.no_mask_embed.weight", [1, d]),
    pe0Gaussian: await readWeight(
      source,
      "model.prompt_encoder.pe_layer.positional_encoding_gaussian_matrix",
      [2, d / 2],
    ),
    pe1Gaussian: await readWeight(source, `${md}.pe1.positional_encoding_gaussian_matrix`, [2, d / 2]),
    iouToken: await readWeight(source, `${md}.iou_token.weight`, [1, d]),
    maskTokens: await readWeight(source, `${md}.mask_tokens.weight`, [MASK_TOKENS, d]),
    levelEmbed: await readWeight(source, `${md}.level_embed.weight`, [SCALES, d]),
    transformers,
    upsample: await readConv(source, `${md}.upsample_2x.0`, {
      inChannels: d,
      outChannels: d,
      kernel: 2,
      bias: true,
      transposed: true,
    }),
    upsampleNorm: await readNorm(source, `${md}.upsample_2x.1`, d, LAYER_NORM_2D_EPS),
    outputUpscaling: await readConv(source, `${md}.output_upscaling.0`, {
      inChannels: d,
      outChannels: d / 8,
      kernel: 2,
      bias: true,
      transposed: true,
    }),
    outputUpscalingNorm: await readNorm(source, `${md}.output_upscaling.1`, d / 8, LAYER_NORM_2D_EPS),
    hypernetwork: [
      await readLinear(source, `${hyper}.0`, d, d),
      await readLinear(source, `${hyper}.1`, d, d),
      await readLinear(source, `${hyper}.2`, d, d / 8),
    ],
  };
}

/** text_hidden_fcs[0]: Linear(H, H) → ReLU → Linear(H, D) → Dropout(0); [rows, H] → [rows, D]. */
export function textHiddenFcs(w: PixelDecoderWeights, hidden: Float32Array, rows: number): Float32Array {
  return linear(w.textFc2, reluInPlace(linear(w.textFc1, hidden, rows)), rows);
}

/**
 * view(N, scales, seg_token_num, D), then `fused = t0·0`, `fused = fused + scalar·t_i` for each
 * token with scalar = float32(1/seg_token_num) (the never-trained multiseg_scalar), in float32.
 */
export function fuseSegTokens(projected: Float32Array, width: number, segTokenNum: number): Float32Array {
  const group = SCALES * segTokenNum;
  const rows = projected.length / width;
  if (rows % group !== 0) {
    throw new ReferenceModelError("seg_count", `${rows} SEG states is not a multiple of ${group}`);
  }
  const targets = rows / group;
  const scalar = Math.fround(1 / segTokenNum);
  const out = new Float32Array(targets * SCALES * width);
  for (let n = 0; n < targets; n++) {
    for (let s = 0; s < SCALES; s++) {
      const base = (n * SCALES + s) * segTokenNum;
      for (let c = 0; c < width; c++) {
        let fused = Math.fround(projected[base * width + c]! * 0);
        for (let i = 0; i < segTokenNum; i++) {
          fused = Math.fround(fused + Math.fround(scalar * projected[(base + i) * width + c]!));
        }
        out[(n * SCALES + s) * width + c] = fused;
      }
    }
  }
  return out;
}

/** ConvTranspose2d(k2, s2) → LayerNorm2d → GELU, the shape of upsample_2x and output_upscaling. */
function upscale(conv: ConvWeights, norm: AffineNorm, x: Float32Array, side: number): Float32Array {
  const up = convTranspose2x2(conv, x, side, side);
  return geluInPlace(layerNorm2d(norm, up.data, up.height * up.width));
}

/** MLP(D, D, D/8, 3): ReLU between layers. */
function hypernetwork(layers: readonly LinearWeights[], x: Float32Array): Float32Array {
  let y = x;
  for (const [i, layer] of layers.entries()) {
    y = linear(layer, y, 1);
    if (i < layers.length - 1) reluInPlace(y);
  }
  return y;
}

interface LevelInputs {
  readonly level: number;
  /** [D, side, side] before the level's src additions. */
  readonly features: Float32Array;
  readonly side: number;
  /** [D, side·side]. */
  readonly pe: Float32Array;
  /** Fused prompt of this level, [D]. */
  readonly prompt: Float32Array;
  /** Level-0 mask [side·side] for level 1 (previous_masks), else undefined. */
  readonly previous: Float32Array | undefined;
  /** Dense prompt at this level, [D, side, side]. */
  readonly dense: Float32Array;
}

/** MaskDecoderMultiScale.predict_masks for one target, keeping mask token 0: [(2·side)²]. */
function predictLevelMask(w: PixelDecoderWeights, input: LevelInputs): Float32Array {
  const d = w.config.out_dim;
  const { level, side } = input;
  const pixels = side * side;
  // tokens = cat(iou_token, mask_tokens, sparse) + level_embed[level]
  const tokenCount = 1 + MASK_TOKENS + 1;
  const tokens = new Float32Array(tokenCount * d);
  tokens.set(w.iouToken, 0);
  tokens.set(w.maskTokens, d);
  tokens.set(input.prompt, (1 + MASK_TOKENS) * d);
  for (let t = 0; t < tokenCount; t++) {
    for (let c = 0; c < d; c++) tokens[t * d + c] = tokens[t * d + c]! + w.levelEmbed[level * d + c]!;
  }
  const src = input.features.slice();
  if (input.previous) {
    // src = (sigmoid(mean_c(previous_masks)) + 1) · src; the mean is over a single channel.
    // The float32 gate is per pixel, so it is computed once and broadcast over the channels.
    const previous = input.previous;
    const gate = Float32Array.from({ length: pixels }, (_, p) => sigmoid(previous[p]!) + 1);
    for (let c = 0; c < d; c++) {
      for (let p = 0; p < pixels; p++) src[c * pixels + p] = gate[p]! * src[c * pixels + p]!;
    }
  }
  for (let i = 0; i < src.length; i++) src[i] = src[i]! + input.dense[i]!;
  const { queries, keys } = runTwoWayTransformer(
    w.transformers[level]!,
    transpose(src, d, pixels),
    transpose(input.pe, d, pixels),
    tokens,
  );
  const upscaled = upscale(w.outputUpscaling, w.outputUpscalingNorm, transpose(keys, pixels, d), side);
  // hyper_in [1, D/8] @ upscaled.view(D/8, (2·side)²), mask token 0 only
  const hyper = hypernetwork(w.hypernetwork, queries.subarray(d, 2 * d));
  return matmul(hyper, upscaled, 1, d / 8, 4 * pixels);
}

// in: fused prompts [N, 2, D], features [2, D, G, G]; out: low-res mask logits [N, 128, 128]
export function decodeLowResMasks(
  w: PixelDecoderWeights,
  prompts: Float32Array,
  features: Float32Array,
  grid: number,
): Float32Array {
  const d = w.config.out_dim;
  const targets = prompts.length / (SCALES * d);
  const plane = d * grid * grid;
  const features0 = features.subarray(0, plane);
  const pe0 = randomPositionEncoding(w.pe0Gaussian, grid, grid);
  const pe1 = randomPositionEncoding(w.pe1Gaussian, 2 * grid, 2 * grid);
  // dense = no_mask_embed broadcast to [D, G, G]; level 1 resizes it bilinearly to 2G × 2G
  const dense0 = new Float32Array(plane);
  for (let c = 0; c < d; c++) dense0.fill(w.noMaskEmbed[c]!, c * grid * grid, (c + 1) * grid * grid);
  const dense1 = resizeBilinear(dense0, d, grid, grid, 2 * grid, 2 * grid);
  // src of level 1 is upsample_2x(F[1]), the same for every target
  const features1 = upscale(w.upsample, w.upsampleNorm, features.subarray(plane, 2 * plane), grid);
  const out = new Float32Array(targets * LOW_RES_SIZE * LOW_RES_SIZE);
  for (let n = 0; n < targets; n++) {
    const prompt = (level: number) =>
      prompts.subarray((n * SCALES + level) * d, (n * SCALES + level + 1) * d);
    const mask0 = predictLevelMask(w, {
      level: 0,
      features: features0,
      side: grid,
      pe: pe0,
      prompt: prompt(0),
      previous: undefined,
      dense: dense0,
    });
    const mask1 = predictLevelMask(w, {
      level: 1,
      features: features1,
      side: 2 * grid,
      pe: pe1,
      prompt: prompt(1),
      previous: mask0,
      dense: dense1,
    });
    // low_res = 0 + 0.5·resize(m0) + 0.5·resize(m1), float32 at each step
    const up0 = resizeBilinear(mask0, 1, 2 * grid, 2 * grid, LOW_RES_SIZE, LOW_RES_SIZE);
    const up1 = resizeBilinear(mask1, 1, 4 * grid, 4 * grid, LOW_RES_SIZE, LOW_RES_SIZE);
    const o = n * LOW_RES_SIZE * LOW_RES_SIZE;
    for (let p = 0; p < up0.length; p++) out[o + p] = Math.fround(0.5 * up0[p]!) + 0.5 * up1[p]!;
  }
  return out;
}

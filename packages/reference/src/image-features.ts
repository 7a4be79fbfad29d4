/**
 * What `encode_images` / `prepare_inputs_labels_for_multimodal` make of the CLIP taps:
 * the LLM's image tokens (layer-23 patches → 16×16 bilinear → mm_projector) with their
 * attention mask, and the decoder features (out_mm_projector on layers 23 and 14 → [H, G, G]
 * → image_feature_neck from model/PixelLM.py).
 */
import type { PixelLMConfig } from "@pixellm/checkpoint";
import { geluInPlace } from "./kernels/activations";
import { conv2d, type ConvWeights } from "./kernels/conv";
import { resizeBilinear, resizeNearest } from "./kernels/interpolate";
import { linear, transpose, type LinearWeights } from "./kernels/linear";
import { layerNorm2d, type AffineNorm } from "./kernels/norm";
import { patchMask, type ClipTaps } from "./vision";
import { readConv, readLinear, readNorm, type WeightSource } from "./weights";

/** `prepare_inputs_labels_for_multimodal` hard-codes a 16×16 token grid for the LLM. */
export const LLM_IMAGE_GRID = 16;
const LAYER_NORM_2D_EPS = 1e-6;

interface ProjectorWeights {
  readonly fc1: LinearWeights;
  readonly fc2: LinearWeights;
}

export interface ImageFeatureWeights {
  readonly mmProjector: ProjectorWeights;
  readonly outMmProjector: ProjectorWeights;
  readonly neckConv1: ConvWeights;
  readonly neckNorm1: AffineNorm;
  readonly neckConv2: ConvWeights;
  readonly neckNorm2: AffineNorm;
}

/** Sequential(Linear(C, 2H), GELU, Linear(2H, H)) at `{prefix}.0` and `{prefix}.2`. */
async function readProjector(
  source: WeightSource,
  prefix: string,
  config: PixelLMConfig,
): Promise<ProjectorWeights> {
  const h = config.hidden_size;
  return {
    fc1: await readLinear(source, `${prefix}.0`, config.mm_hidden_size, 2 * h),
    fc2: await readLinear(source, `${prefix}.2`, 2 * h, h),
  };
}

export async function loadImageFeatures(
  source: WeightSource,
  config: PixelLMConfig,
): Promise<ImageFeatureWeights> {
  const d = config.out_dim;
  return {
    mmProjector: await readProjector(source, "model.mm_projector", config),
    outMmProjector: await readProjector(source, "model.out_mm_projector", config),
    neckConv1: await readConv(source, "model.image_feature_neck.0", {
      inChannels: config.hidden_size,
      outChannels: d,
      kernel: 1,
      bias: false,
    }),
    neckNorm1: await readNorm(source, "model.image_feature_neck.1", d, LAYER_NORM_2D_EPS),
    neckConv2: await readConv(source, "model.image_feature_neck.2", {
      inChannels: d,
      outChannels: d,
      kernel: 3,
      bias: false,
    }),
    neckNorm2: await readNorm(source, "model.image_feature_neck.3", d, LAYER_NORM_2D_EPS),
  };
}

function project(projector: ProjectorWeights, x: Float32Array, rows: number): Float32Array {
  return linear(projector.fc2, geluInPlace(linear(projector.fc1, x, rows)), rows);
}

// in: layer-23 patches [G², C]; out: LLM image embeddings [256, H]
export function llmImageEmbeddings(
  weights: ImageFeatureWeights,
  selected: Float32Array,
  grid: number,
): Float32Array {
  const c = weights.mmProjector.fc1.inFeatures;
  const tokens = LLM_IMAGE_GRID * LLM_IMAGE_GRID;
  // permute(0, 2, 1).view(n, c, G, G) → F.interpolate((16, 16), bilinear) → flatten(-2).permute(0, 2, 1)
  const pooled = resizeBilinear(
    transpose(selected, grid * grid, c),
    c,
    grid,
    grid,
    LLM_IMAGE_GRID,
    LLM_IMAGE_GRID,
  );
  return project(weights.mmProjector, transpose(pooled, c, tokens), tokens);
}

/** The 256 LLM image-token mask: the patch mask nearest-resized from G×G to 16×16. */
export function llmImageTokenMask(
  imageSize: number,
  grid: number,
  resized: readonly [number, number],
): Uint8Array {
  const tokens = resizeNearest(
    patchMask(imageSize, grid, resized),
    1,
    grid,
    grid,
    LLM_IMAGE_GRID,
    LLM_IMAGE_GRID,
  );
  return Uint8Array.from(tokens);
}

// in: one tap's patches [G², C]; out: neck features [D, G, G]
function decoderFeature(weights: ImageFeatureWeights, patches: Float32Array, grid: number): Float32Array {
  const pixels = grid * grid;
  const h = weights.outMmProjector.fc2.outFeatures;
  // out_mm_projector → [G², H] → .view(L, G², H).permute(0, 2, 1).view(L, H, G, G)
  const projected = transpose(project(weights.outMmProjector, patches, pixels), pixels, h);
  const geometry = { height: grid, width: grid, stride: 1 };
  let x = conv2d(weights.neckConv1, projected, { ...geometry, padding: 0 }).data;
  x = layerNorm2d(weights.neckNorm1, x, pixels);
  x = conv2d(weights.neckConv2, x, { ...geometry, padding: 1 }).data;
  return layerNorm2d(weights.neckNorm2, x, pixels);
}

// out: [2, D, G, G], scale 0 from layer 23, scale 1 from layer 14
export function decoderFeatures(weights: ImageFeatureWeights, taps: ClipTaps, grid: number): Float32Array {
  const scale0 = decoderFeature(weights, taps.selected, grid);
  const scale1 = decoderFeature(weights, taps.second, grid);
  const out = new Float32Array(scale0.length * 2);
  out.set(scale0, 0);
  out.set(scale1, scale0.length);
  return out;
}

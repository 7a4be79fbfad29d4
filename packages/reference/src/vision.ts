/**
 * The CLIP vision tower as PixelLM runs it (`custom_clip.py _CLIPVisionTransformer`, HF CLIP in
 * transformers 4.31): patch conv without bias, class embedding, the rebuilt 448 position table,
 * pre_layrnorm, then pre-LN encoder layers whose attention adds float32 min on padded keys.
 */
import type { ClipVisionConfig, PixelLMConfig } from "@pixellm/checkpoint";
import { ReferenceModelError } from "./errors";
import { quickGeluInPlace, geluInPlace } from "./kernels/activations";
import { attention } from "./kernels/attention";
import { conv2d, type ConvWeights } from "./kernels/conv";
import { resizeNearest } from "./kernels/interpolate";
import { addInPlace, linear, transpose, type LinearWeights } from "./kernels/linear";
import { layerNorm, type AffineNorm } from "./kernels/norm";
import { rebuildPositionTable } from "./position-table";
import { readConv, readLinear, readNorm, readWeight, type WeightSource } from "./weights";

/** `feature_select` in clip_encoder.py takes this hidden state as the second decoder scale. */
export const SECOND_SCALE_TAP = -11;

interface ClipLayerWeights {
  readonly q: LinearWeights;
  readonly k: LinearWeights;
  readonly v: LinearWeights;
  readonly out: LinearWeights;
  readonly norm1: AffineNorm;
  readonly norm2: AffineNorm;
  readonly fc1: LinearWeights;
  readonly fc2: LinearWeights;
}

export interface VisionTowerWeights {
  readonly clip: ClipVisionConfig;
  /** Input side the tower was resized to (resize_vision_tower_size, 448). */
  readonly imageSize: number;
  /** Patches per side at imageSize (32). */
  readonly grid: number;
  readonly patch: ConvWeights;
  readonly classEmbedding: Float32Array;
  /** The rebuilt table [grid²+1, C]. */
  readonly positionTable: Float32Array;
  readonly preNorm: AffineNorm;
  /** Only the layers up to the deepest tap; later ones cannot change the taps. */
  readonly layers: readonly ClipLayerWeights[];
  /** hidden_states indices (0 = after pre_layrnorm) of [mm_vision_select_layer, -11]. */
  readonly taps: readonly [number, number];
}

/** A negative hidden_states index as Python resolves it over `layers + 1` states. */
export function resolveHiddenStateIndex(index: number, layers: number): number {
  const resolved = index < 0 ? layers + 1 + index : index;
  if (resolved < 0 || resolved > layers) {
    throw new ReferenceModelError(
      "bad_input",
      `hidden_states[${index}] is outside the ${layers + 1} states of a ${layers}-layer CLIP tower`,
    );
  }
  return resolved;
}

export async function loadVisionTower(
  source: WeightSource,
  clip: ClipVisionConfig,
  config: PixelLMConfig,
): Promise<VisionTowerWeights> {
  const c = clip.hidden_size;
  const p = clip.patch_size;
  const imageSize = config.resize_vision_tower_size;
  const grid = imageSize / p;
  const oldGrid = clip.image_size / p;
  const taps: [number, number] = [
    resolveHiddenStateIndex(config.mm_vision_select_layer, clip.num_hidden_layers),
    resolveHiddenStateIndex(SECOND_SCALE_TAP, clip.num_hidden_layers),
  ];
  const eps = clip.layer_norm_eps;
  const oldTable = await readWeight(source, "vision_model.embeddings.position_embedding.weight", [
    oldGrid * oldGrid + 1,
    c,
  ]);
  const layers: ClipLayerWeights[] = [];
  for (let i = 0; i < Math.max(...taps); i++) {
    const prefix = `vision_model.encoder.layers.${i}`;
    layers.push({
      q: await readLinear(source, `${prefix}.self_attn.q_proj`, c, c),
      k: await readLinear(source, `${prefix}.self_attn.k_proj`, c, c),
      v: await readLinear(source, `${prefix}.self_attn.v_proj`, c, c),
      out: await readLinear(source, `${prefix}.self_attn.out_proj`, c, c),
      norm1: await readNorm(source, `${prefix}.layer_norm1`, c, eps),
      norm2: await readNorm(source, `${prefix}.layer_norm2`, c, eps),
      fc1: await readLinear(source, `${prefix}.mlp.fc1`, c, clip.intermediate_size),
      fc2: await readLinear(source, `${prefix}.mlp.fc2`, clip.intermediate_size, c),
    });
  }
  return {
    clip,
    imageSize,
    grid,
    patch: await readConv(source, "vision_model.embeddings.patch_embedding", {
      inChannels: clip.num_channels,
      outChannels: c,
      kernel: p,
      bias: false,
    }),
    classEmbedding: await readWeight(source, "vision_model.embeddings.class_embedding", [c]),
    positionTable: rebuildPositionTable(oldTable, c, oldGrid, grid),
    preNorm: await readNorm(source, "vision_model.pre_layrnorm", c, eps),
    layers,
    taps,
  };
}

/**
 * The patch validity grid [grid·grid] of `encode_images`: the pixel mask (1 on [:h', :w'] of the
 * S×S input) reduced with F.interpolate(mode="nearest"), so patch (i, j) is valid iff the pixel it
 * samples, (patch·i, patch·j), lies inside.
 */
export function patchMask(imageSize: number, grid: number, resized: readonly [number, number]): Float32Array {
  const [h, w] = resized;
  const pixels = new Float32Array(imageSize * imageSize);
  for (let y = 0; y < Math.min(h, imageSize); y++)
    pixels.fill(1, y * imageSize, y * imageSize + Math.min(w, imageSize));
  return resizeNearest(pixels, 1, imageSize, imageSize, grid, grid);
}

export interface ClipTaps {
  /** [grid², C] patches (CLS dropped) of hidden_states[mm_vision_select_layer] (layer 23). */
  readonly selected: Float32Array;
  /** [grid², C] patches of hidden_states[-11] (layer 14). */
  readonly second: Float32Array;
  /** [1 + grid²]: CLS then the patch grid. */
  readonly keyMask: Uint8Array;
}

// in: pixel values [3, S, S], resized (h', w'); out: the two taps
export function runVisionTower(
  tower: VisionTowerWeights,
  pixels: Float32Array,
  resized: readonly [number, number],
): ClipTaps {
  const { clip, imageSize, grid } = tower;
  const c = clip.hidden_size;
  const heads = clip.num_attention_heads;
  const headDim = c / heads;
  if (pixels.length !== clip.num_channels * imageSize * imageSize) {
    throw new ReferenceModelError(
      "bad_input",
      `pixel values have ${pixels.length} values; expected [${clip.num_channels},${imageSize},${imageSize}]`,
    );
  }
  const patches = grid * grid;
  const tokens = patches + 1;
  const embedded = conv2d(tower.patch, pixels, {
    height: imageSize,
    width: imageSize,
    stride: clip.patch_size,
    padding: 0,
  });
  // cat([class_embedding, patch_embeds.flatten(2).transpose(1, 2)]) + position_embedding(arange)
  let hidden: Float32Array = new Float32Array(tokens * c);
  hidden.set(tower.classEmbedding, 0);
  hidden.set(transpose(embedded.data, c, patches), c);
  addInPlace(hidden, tower.positionTable);
  hidden = layerNorm(tower.preNorm, hidden, tokens);

  // cat((ones(1), patch mask)): CLS is always visible
  const keyMask = new Uint8Array(tokens);
  keyMask[0] = 1;
  keyMask.set(patchMask(imageSize, grid, resized), 1);
  const scale = Math.fround(headDim ** -0.5);
  const taps = new Map<number, Float32Array>();
  const keep = (index: number): void => {
    if (tower.taps.includes(index)) taps.set(index, hidden.slice(c));
  };
  keep(0);
  for (const [i, layer] of tower.layers.entries()) {
    const x = layerNorm(layer.norm1, hidden, tokens);
    const q = linear(layer.q, x, tokens);
    for (let e = 0; e < q.length; e++) q[e] = q[e]! * scale;
    const context = attention(
      q,
      linear(layer.k, x, tokens),
      linear(layer.v, x, tokens),
      { queries: tokens, keys: tokens, heads, kvHeads: heads, headDim },
      { scoreDivisor: 1, keyMask },
    );
    addInPlace(hidden, linear(layer.out, context, tokens));
    const inner = linear(layer.fc1, layerNorm(layer.norm2, hidden, tokens), tokens);
    if (clip.hidden_act === "quick_gelu") quickGeluInPlace(inner);
    else geluInPlace(inner);
    addInPlace(hidden, linear(layer.fc2, inner, tokens));
    keep(i + 1);
  }
  return { selected: taps.get(tower.taps[0])!, second: taps.get(tower.taps[1])!, keyMask };
}

/** Loads every part of the reference model and runs the image side once per image. */
import type { ClipVisionConfig, PixelLMConfig } from "@pixellm/checkpoint";
import { ReferenceModelError } from "./errors";
import {
  decoderFeatures,
  llmImageEmbeddings,
  llmImageTokenMask,
  loadImageFeatures,
  type ImageFeatureWeights,
} from "./image-features";
import { loadLlm, type LlmWeights } from "./llm";
import { loadPixelDecoder, type PixelDecoderWeights } from "./pixel-decoder";
import { loadVisionTower, runVisionTower, type ClipTaps, type VisionTowerWeights } from "./vision";
import type { WeightSource } from "./weights";

export interface ReferenceModel {
  readonly config: PixelLMConfig;
  readonly clip: ClipVisionConfig;
  readonly vision: VisionTowerWeights;
  readonly imageFeatures: ImageFeatureWeights;
  readonly llm: LlmWeights;
  readonly decoder: PixelDecoderWeights;
}

export interface ReferenceSources {
  /** The PixelLM checkpoint (model.*, lm_head.*). */
  readonly checkpoint: WeightSource;
  /** The CLIP vision tower (vision_model.*). */
  readonly visionTower: WeightSource;
  readonly config: PixelLMConfig;
  readonly clip: ClipVisionConfig;
}

/** Reads all weights as float32 (meant for small test configs: a 7B model needs ~30 GB this way). */
export async function loadReferenceModel(sources: ReferenceSources): Promise<ReferenceModel> {
  const { config, clip } = sources;
  if (config.mm_hidden_size !== clip.hidden_size) {
    throw new ReferenceModelError(
      "bad_input",
      `config mm_hidden_size ${config.mm_hidden_size} differs from the CLIP width ${clip.hidden_size}`,
    );
  }
  if (config.resize_vision_tower_size % clip.patch_size !== 0) {
    throw new ReferenceModelError(
      "bad_input",
      `CLIP patch size ${clip.patch_size} does not divide ${config.resize_vision_tower_size}`,
    );
  }
  return {
    config,
    clip,
    vision: await loadVisionTower(sources.visionTower, clip, config),
    imageFeatures: await loadImageFeatures(sources.checkpoint, config),
    llm: await loadLlm(sources.checkpoint, config),
    decoder: await loadPixelDecoder(sources.checkpoint, config),
  };
}

export interface VisionOutput {
  /** CLIP layer-23 and layer-14 patches [G², C] and the CLIP key mask [1 + G²]. */
  readonly taps: ClipTaps;
  /** mm_projector output, [256, H]. */
  readonly imageEmbeds: Float32Array;
  /** 1 = valid image token, [256]. */
  readonly imageTokenMask: Uint8Array;
  /** image_feature_neck output, [2, D, G, G]. */
  readonly decoderFeatures: Float32Array;
  /** G, patches per side (32). */
  readonly grid: number;
}

// in: pixel_values [3, 448, 448], resized (h', w')
export function encodeImage(
  model: ReferenceModel,
  pixels: Float32Array,
  resized: readonly [number, number],
): VisionOutput {
  const { imageSize, grid } = model.vision;
  const [h, w] = resized;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1 || h > imageSize || w > imageSize) {
    throw new ReferenceModelError("bad_input", `resized size (${h}, ${w}) must lie within 1..${imageSize}`);
  }
  const taps = runVisionTower(model.vision, pixels, resized);
  return {
    taps,
    imageEmbeds: llmImageEmbeddings(model.imageFeatures, taps.selected, grid),
    imageTokenMask: llmImageTokenMask(imageSize, grid, resized),
    decoderFeatures: decoderFeatures(model.imageFeatures, taps, grid),
    grid,
  };
}

/**
 * Fixed geometry of PixelLM's pipeline: the official code hard-codes a 448-pixel canvas
 * (`resize_vision_tower_size`), a 32×32 patch grid (`evaluate`: 1024 patches, 32×32 views),
 * 16×16 LLM image tokens (`F.interpolate(size=(16,16))`) and 128×128 low-res masks.
 */
export const IMAGE_SIZE = 448;
export const PATCH_GRID = 32;
export const LLM_TOKEN_GRID = 16;
export const LLM_IMAGE_TOKENS = LLM_TOKEN_GRID * LLM_TOKEN_GRID;
export const LOW_RES_MASK_SIZE = 128;

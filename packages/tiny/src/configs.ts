/**
 * config.json contents of generated checkpoints, spelled as the published PixelLM and
 * openai/clip-vit-large-patch14-336 configs spell them.
 */
import type { CheckpointPreset } from "./presets";

/** The PixelLM checkpoint's config.json for a preset and a vocabulary size. */
export function pixellmConfigJson(preset: CheckpointPreset, vocabSize: number): Record<string, unknown> {
  return {
    architectures: ["PixelLMForCausalLM"],
    model_type: "llava",
    hidden_act: "silu",
    hidden_size: preset.llm.hidden_size,
    intermediate_size: preset.llm.intermediate_size,
    num_hidden_layers: preset.llm.num_hidden_layers,
    num_attention_heads: preset.llm.num_attention_heads,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-6,
    vocab_size: vocabSize,
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 0,
    tie_word_embeddings: false,
    torch_dtype: "bfloat16",
    use_cache: false,
    mm_vision_tower: "openai/clip-vit-large-patch14-336",
    mm_hidden_size: preset.clip.hidden_size,
    mm_vision_select_layer: -2,
    mm_vision_select_feature: "patch",
    mm_use_im_start_end: true,
    mm_use_im_patch_token: false,
    out_dim: preset.decoder.out_dim,
    image_feature_scale_num: 2,
    resize_vision_tower: true,
    resize_vision_tower_size: 448,
    pad_train_clip_images: true,
    vision_tower_for_mask: true,
    separate_mm_projector: true,
    // Not in published configs (the official code hard-codes 8 heads and a 2048 MLP); generated
    // checkpoints carry them to stay small. Absent, they default to the official values.
    mask_decoder_num_heads: preset.decoder.mask_decoder_num_heads,
    mask_decoder_mlp_dim: preset.decoder.mask_decoder_mlp_dim,
  };
}

/** A CLIPConfig with a nested vision_config, as the HF CLIP repository ships it. */
export function clipConfigJson(preset: CheckpointPreset): Record<string, unknown> {
  return {
    architectures: ["CLIPModel"],
    model_type: "clip",
    projection_dim: 768,
    vision_config: {
      hidden_size: preset.clip.hidden_size,
      intermediate_size: preset.clip.intermediate_size,
      num_hidden_layers: preset.clip.num_hidden_layers,
      num_attention_heads: preset.clip.num_attention_heads,
      image_size: 336,
      patch_size: 14,
      hidden_act: "quick_gelu",
      layer_norm_eps: 1e-5,
      projection_dim: 768,
    },
  };
}

/**
 * The PixelLM checkpoint's config.json, with the official field names (published config of
 * maverickrzw/PixelLM-7B / -13B), validated. Fields that `PixelLMForCausalLM.__init__`
 * hard-codes (model/PixelLM.py l.244) are checked against those values rather than trusted.
 */
import { ConfigReader } from "./config-fields";

export interface PixelLMConfig {
  // LLaMA (transformers 4.31 LlamaConfig)
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  readonly rms_norm_eps: number;
  readonly max_position_embeddings: number;
  readonly rope_theta: number;
  readonly vocab_size: number;
  readonly bos_token_id: number;
  readonly eos_token_id: number;
  readonly pad_token_id: number;
  // LLaVA
  readonly mm_hidden_size: number;
  readonly mm_vision_select_layer: number;
  readonly mm_use_im_start_end: boolean;
  // PixelLM
  readonly out_dim: number;
  readonly seg_token_num: number;
  readonly image_feature_scale_num: number;
  readonly resize_vision_tower_size: number;
  /**
   * Mask decoder shape. The official code hard-codes heads 8, MLP 2048 and depth 2 (and width =
   * out_dim = 256); these optional fields, absent from published configs, let generated test
   * checkpoints be small while keeping the same structure.
   */
  readonly mask_decoder_num_heads: number;
  readonly mask_decoder_mlp_dim: number;
  readonly mask_decoder_depth: number;
}

/** CLIP layer 14 of 24 is tapped as hidden_states[-11] (clip_encoder.py feature_select). */
export const SECOND_SCALE_HIDDEN_STATE = -11;

export function parsePixelLMConfig(
  json: Readonly<Record<string, unknown>>,
  source = "checkpoint config.json",
): PixelLMConfig {
  const r = new ConfigReader(json, source);
  const hidden_size = r.int("hidden_size", {
    min: 1,
    hint: "the LLM width (4096 for PixelLM-7B, 5120 for 13B)",
  });
  const num_attention_heads = r.int("num_attention_heads", {
    min: 1,
    hint: "LLM attention heads (32 for 7B)",
  });
  if (hidden_size % num_attention_heads !== 0) {
    r.fail(
      "num_attention_heads",
      num_attention_heads,
      `a divisor of hidden_size ${hidden_size}`,
      "heads split the width evenly",
    );
  }
  if ((hidden_size / num_attention_heads) % 2 !== 0) {
    r.fail(
      "num_attention_heads",
      num_attention_heads,
      "a count giving an even head size",
      "rotary embeddings rotate pairs",
    );
  }
  const num_key_value_heads = r.int("num_key_value_heads", {
    min: 1,
    default: num_attention_heads,
    hint: "grouped-query heads; LLaMA-1/2 7B/13B use num_attention_heads",
  });
  if (num_attention_heads % num_key_value_heads !== 0) {
    r.fail(
      "num_key_value_heads",
      num_key_value_heads,
      `a divisor of num_attention_heads ${num_attention_heads}`,
      "heads share KV groups",
    );
  }
  r.fixed("hidden_act", "silu", "LLaMA's MLP uses SiLU");
  r.absent("rope_scaling", "rotary scaling is not part of PixelLM's LLaMA");
  r.fixed("tie_word_embeddings", false, "PixelLM trains a separate lm_head");
  const vocab_size = r.int("vocab_size", {
    min: 4,
    hint: "rows of embed_tokens and lm_head, added tokens included",
  });
  const config: PixelLMConfig = {
    hidden_size,
    intermediate_size: r.int("intermediate_size", { min: 1, hint: "the LLaMA MLP width (11008 for 7B)" }),
    num_hidden_layers: r.int("num_hidden_layers", { min: 1, hint: "LLaMA decoder layers (32 for 7B)" }),
    num_attention_heads,
    num_key_value_heads,
    rms_norm_eps: r.number("rms_norm_eps", {
      min: 1e-12,
      max: 1e-2,
      default: 1e-6,
      hint: "RMSNorm epsilon (1e-6)",
    }),
    max_position_embeddings: r.int("max_position_embeddings", {
      min: 512,
      default: 2048,
      hint: "longest sequence (2048)",
    }),
    rope_theta: r.number("rope_theta", { min: 1, default: 10000, hint: "rotary base (10000)" }),
    vocab_size,
    bos_token_id: r.int("bos_token_id", { min: 0, max: vocab_size - 1, default: 1, hint: "LLaMA <s> (1)" }),
    eos_token_id: r.int("eos_token_id", { min: 0, max: vocab_size - 1, default: 2, hint: "LLaMA </s> (2)" }),
    pad_token_id: r.int("pad_token_id", { min: 0, max: vocab_size - 1, default: 0, hint: "pad = unk (0)" }),
    mm_hidden_size: r.int("mm_hidden_size", { min: 1, hint: "CLIP width feeding the projectors (1024)" }),
    mm_vision_select_layer: r.int("mm_vision_select_layer", {
      max: -1,
      default: -2,
      hint: "CLIP hidden state for the LLM image tokens, counted from the end (-2)",
    }),
    mm_use_im_start_end: r.bool("mm_use_im_start_end", {
      default: true,
      hint: "<im_start>/<im_end> wrap the image",
    }),
    out_dim: r.int("out_dim", { min: 8, hint: "text_hidden_fcs output and mask decoder width (256)" }),
    seg_token_num: r.int("seg_token_num", { min: 1, default: 3, hint: "codebook tokens per scale (3)" }),
    image_feature_scale_num: r.fixed(
      "image_feature_scale_num",
      2,
      "PixelLMForCausalLM.__init__ hard-codes 2 scales",
    ),
    resize_vision_tower_size: r.fixed(
      "resize_vision_tower_size",
      448,
      "PixelLMForCausalLM.__init__ hard-codes 448 and evaluate() assumes a 32x32 patch grid",
    ),
    mask_decoder_num_heads: r.int("mask_decoder_num_heads", {
      min: 1,
      default: 8,
      hint: "mask decoder attention heads (8)",
    }),
    mask_decoder_mlp_dim: r.int("mask_decoder_mlp_dim", {
      min: 1,
      default: 2048,
      hint: "mask decoder MLP width (2048)",
    }),
    mask_decoder_depth: r.int("mask_decoder_depth", {
      min: 1,
      default: 2,
      hint: "two-way blocks per level (2)",
    }),
  };
  if (config.out_dim % 8 !== 0)
    r.fail("out_dim", config.out_dim, "a multiple of 8", "the upscaling path narrows to out_dim/8");
  if ((config.out_dim / 2) % config.mask_decoder_num_heads !== 0) {
    r.fail(
      "mask_decoder_num_heads",
      config.mask_decoder_num_heads,
      `a divisor of out_dim/2 = ${config.out_dim / 2}`,
      "cross-attention runs at half width",
    );
  }
  return config;
}

/** Codebook tokens per target: seg_token_num per scale times the scales (3 × 2 = 6). */
export function codebookSize(config: PixelLMConfig): number {
  return config.seg_token_num * config.image_feature_scale_num;
}

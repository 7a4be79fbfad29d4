/**
 * Shapes of generated checkpoints. "tiny" keeps the official structure (24 CLIP layers so the
 * hidden-state taps −2 and −11 mean what they mean in ViT-L, 2 scales, 3 codebook tokens per
 * scale, the 448 canvas) at widths that run in milliseconds; "small" is a benchmark model;
 * "large" carries over a gigabyte of weights for the export memory benchmark.
 */
/**
 * Bump whenever generated weights, configs or tokenizers change, so cached tiny bundles
 * (the CLI's default model) are rebuilt.
 */
export const TINY_GENERATOR_VERSION = 1;

export interface CheckpointPreset {
  readonly clip: {
    readonly hidden_size: number;
    readonly intermediate_size: number;
    readonly num_hidden_layers: number;
    readonly num_attention_heads: number;
  };
  readonly llm: {
    readonly hidden_size: number;
    readonly intermediate_size: number;
    readonly num_hidden_layers: number;
    readonly num_attention_heads: number;
    /** Rows of embed_tokens/lm_head; at least the tokenizer's size (extra rows are never produced). */
    readonly min_vocab_size: number;
  };
  readonly decoder: {
    readonly out_dim: number;
    readonly mask_decoder_num_heads: number;
    readonly mask_decoder_mlp_dim: number;
  };
  /** Plant a deterministic answer with one codebook group into the LM head (see planted-answer.ts). */
  readonly plantAnswer: boolean;
  /** Maximum bytes per safetensors shard. */
  readonly shardBytes: number;
}

export const PRESETS = {
  tiny: {
    clip: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 24, num_attention_heads: 2 },
    llm: {
      hidden_size: 64,
      intermediate_size: 128,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      min_vocab_size: 0,
    },
    decoder: { out_dim: 32, mask_decoder_num_heads: 4, mask_decoder_mlp_dim: 64 },
    plantAnswer: true,
    shardBytes: 256 * 1024,
  },
  small: {
    clip: { hidden_size: 256, intermediate_size: 1024, num_hidden_layers: 24, num_attention_heads: 4 },
    llm: {
      hidden_size: 512,
      intermediate_size: 1376,
      num_hidden_layers: 8,
      num_attention_heads: 8,
      min_vocab_size: 0,
    },
    decoder: { out_dim: 256, mask_decoder_num_heads: 8, mask_decoder_mlp_dim: 2048 },
    plantAnswer: true,
    shardBytes: 64 * 2 ** 20,
  },
  large: {
    clip: { hidden_size: 256, intermediate_size: 1024, num_hidden_layers: 24, num_attention_heads: 4 },
    llm: {
      hidden_size: 2048,
      intermediate_size: 5504,
      num_hidden_layers: 16,
      num_attention_heads: 16,
      min_vocab_size: 32000,
    },
    decoder: { out_dim: 256, mask_decoder_num_heads: 8, mask_decoder_mlp_dim: 2048 },
    plantAnswer: false,
    shardBytes: 2 * 2 ** 30,
  },
} as const satisfies Record<string, CheckpointPreset>;

export type PresetName = keyof typeof PRESETS;

export function isPresetName(value: string): value is PresetName {
  return Object.hasOwn(PRESETS, value);
}

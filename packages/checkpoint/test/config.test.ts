import { describe, expect, it } from "vitest";
import { CheckpointError, parseClipVisionConfig, parsePixelLMConfig, resolveSpecialTokens } from "../src";

/** The fields of maverickrzw/PixelLM-7B's published config.json that the runtime reads. */
const PIXELLM_7B = {
  architectures: ["PixelLMForCausalLM"],
  model_type: "llava",
  hidden_act: "silu",
  hidden_size: 4096,
  intermediate_size: 11008,
  num_attention_heads: 32,
  num_hidden_layers: 32,
  max_position_embeddings: 2048,
  rms_norm_eps: 1e-6,
  vocab_size: 32009,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: 0,
  tie_word_embeddings: false,
  mm_hidden_size: 1024,
  mm_vision_select_layer: -2,
  mm_use_im_start_end: true,
  out_dim: 256,
  image_feature_scale_num: 2,
  resize_vision_tower_size: 448,
};

function configError(json: Record<string, unknown>): CheckpointError {
  try {
    parsePixelLMConfig(json);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }
  throw new Error("expected the config to be refused");
}

describe("PixelLM config", () => {
  it("reads the published 7B config and fills the documented defaults", () => {
    const config = parsePixelLMConfig(PIXELLM_7B);
    expect(config).toMatchObject({
      hidden_size: 4096,
      num_key_value_heads: 32,
      rope_theta: 10000,
      seg_token_num: 3,
      mask_decoder_num_heads: 8,
      mask_decoder_mlp_dim: 2048,
      mask_decoder_depth: 2,
    });
  });

  it.each([
    [{ hidden_size: "4k" }, /hidden_size must be an integer \(got "4k"\): the LLM width/],
    [{ hidden_size: undefined }, /required field hidden_size is missing/],
    [{ num_attention_heads: 30 }, /num_attention_heads must be a divisor of hidden_size 4096/],
    [{ rms_norm_eps: 0.5 }, /rms_norm_eps must be <= 0\.01 \(got 0\.5\)/],
    [{ eos_token_id: 40000 }, /eos_token_id must be <= 32008/],
    [
      { resize_vision_tower_size: 336 },
      /resize_vision_tower_size must be 448 \(got 336\): PixelLMForCausalLM\.__init__ hard-codes 448/,
    ],
    [{ image_feature_scale_num: 3 }, /image_feature_scale_num must be 2/],
    [{ hidden_act: "gelu" }, /hidden_act must be "silu"/],
    [{ rope_scaling: { type: "linear", factor: 2 } }, /rope_scaling must be absent or null/],
    [{ mm_vision_select_layer: 3 }, /mm_vision_select_layer must be <= -1/],
    [{ out_dim: 100 }, /out_dim must be a multiple of 8/],
  ])("refuses %j with a message naming the field and the fix", (patch, message) => {
    const error = configError({ ...PIXELLM_7B, ...patch });
    expect(error.code).toBe("config_field");
    expect(error.message).toMatch(/^checkpoint config\.json: /);
    expect(error.message).toMatch(message);
  });
});

describe("CLIP vision config", () => {
  it("reads a nested vision_config and defaults absent fields like transformers", () => {
    const clip = parseClipVisionConfig({
      vision_config: {
        hidden_size: 1024,
        intermediate_size: 4096,
        num_attention_heads: 16,
        num_hidden_layers: 24,
        image_size: 336,
        patch_size: 14,
      },
    });
    expect(clip).toMatchObject({
      hidden_size: 1024,
      layer_norm_eps: 1e-5,
      hidden_act: "quick_gelu",
      num_channels: 3,
    });
  });

  it("refuses a patch size that does not tile 448 pixels", () => {
    expect(() =>
      parseClipVisionConfig({
        hidden_size: 64,
        num_attention_heads: 4,
        num_hidden_layers: 24,
        image_size: 320,
        patch_size: 32,
      }),
    ).toThrow(/patch_size must be 14 \(got 32\)/);
  });
});

describe("added tokens", () => {
  const config = parsePixelLMConfig(PIXELLM_7B);
  const tokens = {
    "<im_patch>": 32000,
    "<im_start>": 32001,
    "<im_end>": 32002,
    "[SEG0]": 32003,
    "[SEG1]": 32004,
    "[SEG2]": 32005,
    "[SEG3]": 32006,
    "[SEG4]": 32007,
    "[SEG5]": 32008,
  };

  it("looks the codebook and image tokens up by name", () => {
    expect(resolveSpecialTokens(tokens, config, "added_tokens.json")).toEqual({
      bos: 1,
      eos: 2,
      pad: 0,
      imStart: 32001,
      imEnd: 32002,
      seg: [32003, 32004, 32005, 32006, 32007, 32008],
    });
  });

  it("names a missing codebook token, an id outside the vocabulary, and duplicate ids", () => {
    const { "[SEG3]": _, ...missing } = tokens;
    expect(() => resolveSpecialTokens(missing, config, "added_tokens.json")).toThrow(
      /added_tokens\.json has no \[SEG3\]/,
    );
    expect(() => resolveSpecialTokens({ ...tokens, "[SEG5]": 40000 }, config, "added_tokens.json")).toThrow(
      /\[SEG5\] has id 40000, outside the vocabulary of 32009/,
    );
    expect(() => resolveSpecialTokens({ ...tokens, "[SEG1]": 32003 }, config, "added_tokens.json")).toThrow(
      /gives two added tokens the same id/,
    );
  });
});

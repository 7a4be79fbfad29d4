/**
 * The vision tower's config.json: a full CLIPConfig (openai/clip-vit-large-patch14-336 nests
 * `vision_config`) or a bare CLIPVisionConfig. Absent fields take transformers' defaults, as
 * `CLIPVisionConfig.from_pretrained` does.
 */
import { ConfigReader } from "./config-fields";

export interface ClipVisionConfig {
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly num_channels: number;
  readonly image_size: number;
  readonly patch_size: number;
  readonly layer_norm_eps: number;
  readonly hidden_act: "quick_gelu" | "gelu";
}

export function parseClipVisionConfig(
  json: Readonly<Record<string, unknown>>,
  source = "vision tower config.json",
): ClipVisionConfig {
  const nested = json.vision_config;
  const vision = typeof nested === "object" && nested !== null ? (nested as Record<string, unknown>) : json;
  const r = new ConfigReader(vision, nested ? `${source} (vision_config)` : source);
  const hidden_size = r.int("hidden_size", { min: 1, default: 768, hint: "CLIP width (1024 for ViT-L)" });
  const num_attention_heads = r.int("num_attention_heads", {
    min: 1,
    default: 12,
    hint: "CLIP heads (16 for ViT-L)",
  });
  if (hidden_size % num_attention_heads !== 0) {
    r.fail(
      "num_attention_heads",
      num_attention_heads,
      `a divisor of hidden_size ${hidden_size}`,
      "heads split the width evenly",
    );
  }
  const image_size = r.int("image_size", { min: 1, default: 224, hint: "pretraining resolution (336)" });
  const patch_size = r.fixed(
    "patch_size",
    14,
    "PixelLM's 448-pixel canvas is a 32×32 patch grid (evaluate() hard-codes it)",
  );
  if (image_size % patch_size !== 0) {
    r.fail(
      "image_size",
      image_size,
      `a multiple of patch_size ${patch_size}`,
      "the pretrained position grid must be whole",
    );
  }
  const num_hidden_layers = r.int("num_hidden_layers", {
    min: 11,
    default: 12,
    hint: "CLIP layers (24); PixelLM taps hidden_states[-11], so at least 11",
  });
  const hidden_act = r.string("hidden_act", { default: "quick_gelu", hint: "CLIP MLP activation" });
  if (hidden_act !== "quick_gelu" && hidden_act !== "gelu") {
    return r.fail("hidden_act", hidden_act, '"quick_gelu" or "gelu"', "CLIP MLP activation");
  }
  return {
    hidden_size,
    intermediate_size: r.int("intermediate_size", { min: 1, default: 3072, hint: "CLIP MLP width (4096)" }),
    num_hidden_layers,
    num_attention_heads,
    num_channels: r.fixed("num_channels", 3, "PixelLM feeds RGB images"),
    image_size,
    patch_size,
    layer_norm_eps: r.number("layer_norm_eps", {
      min: 1e-12,
      max: 1e-2,
      default: 1e-5,
      hint: "LayerNorm epsilon (1e-5)",
    }),
    hidden_act,
  };
}

/**
 * The official parameter names and shapes (spec section 11): every tensor a released PixelLM
 * checkpoint and its CLIP tower hold, derived from the configs. The tiny-checkpoint generator
 * writes exactly this list; the exporter checks each tensor it reads against it.
 */
import type { ClipVisionConfig } from "./clip-config";
import type { PixelLMConfig } from "./pixellm-config";

export interface ParameterSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** What the weight is, for generators: a matrix, a norm scale, a bias, an embedding, … */
  readonly kind: ParameterKind;
  /** Part of the model, which decides the stored dtype of released checkpoints. */
  readonly group: "llm" | "projector" | "pixel" | "clip";
}

export type ParameterKind =
  "matrix" | "conv" | "norm_weight" | "norm_bias" | "bias" | "embedding" | "gaussian" | "rotary";

const llmLayer = (i: number) => `model.layers.${i}`;
const twoWay = (level: number) => `model.mask_decoder.transformer.${level}`;

export const pixellmNames = {
  embedTokens: "model.embed_tokens.weight",
  lmHead: "lm_head.weight",
  finalNorm: "model.norm.weight",
  llmLayer: (i: number) => ({
    q: `${llmLayer(i)}.self_attn.q_proj.weight`,
    k: `${llmLayer(i)}.self_attn.k_proj.weight`,
    v: `${llmLayer(i)}.self_attn.v_proj.weight`,
    o: `${llmLayer(i)}.self_attn.o_proj.weight`,
    gate: `${llmLayer(i)}.mlp.gate_proj.weight`,
    up: `${llmLayer(i)}.mlp.up_proj.weight`,
    down: `${llmLayer(i)}.mlp.down_proj.weight`,
    inputNorm: `${llmLayer(i)}.input_layernorm.weight`,
    postAttentionNorm: `${llmLayer(i)}.post_attention_layernorm.weight`,
    rotaryInvFreq: `${llmLayer(i)}.self_attn.rotary_emb.inv_freq`,
  }),
  /** `mm_projector` (LLM branch) or `out_mm_projector` (decoder branch): Linear, GELU, Linear. */
  projector: (which: "mm_projector" | "out_mm_projector") => ({
    w0: `model.${which}.0.weight`,
    b0: `model.${which}.0.bias`,
    w2: `model.${which}.2.weight`,
    b2: `model.${which}.2.bias`,
  }),
  textHiddenFcs: {
    w0: "model.text_hidden_fcs.0.0.weight",
    b0: "model.text_hidden_fcs.0.0.bias",
    w2: "model.text_hidden_fcs.0.2.weight",
    b2: "model.text_hidden_fcs.0.2.bias",
  },
  neck: {
    conv1: "model.image_feature_neck.0.weight",
    ln1Weight: "model.image_feature_neck.1.weight",
    ln1Bias: "model.image_feature_neck.1.bias",
    conv3: "model.image_feature_neck.2.weight",
    ln2Weight: "model.image_feature_neck.3.weight",
    ln2Bias: "model.image_feature_neck.3.bias",
  },
  promptPeGaussian: "model.prompt_encoder.pe_layer.positional_encoding_gaussian_matrix",
  noMaskEmbed: "model.prompt_encoder.no_mask_embed.weight",
  decoder: {
    iouToken: "model.mask_decoder.iou_token.weight",
    maskTokens: "model.mask_decoder.mask_tokens.weight",
    levelEmbed: "model.mask_decoder.level_embed.weight",
    pe1Gaussian: "model.mask_decoder.pe1.positional_encoding_gaussian_matrix",
    outputUpscaling: {
      convWeight: "model.mask_decoder.output_upscaling.0.weight",
      convBias: "model.mask_decoder.output_upscaling.0.bias",
      lnWeight: "model.mask_decoder.output_upscaling.1.weight",
      lnBias: "model.mask_decoder.output_upscaling.1.bias",
    },
    upsample2x: {
      convWeight: "model.mask_decoder.upsample_2x.0.weight",
      convBias: "model.mask_decoder.upsample_2x.0.bias",
      lnWeight: "model.mask_decoder.upsample_2x.1.weight",
      lnBias: "model.mask_decoder.upsample_2x.1.bias",
    },
    hypernetworkMlp: (m: number, layer: number) => ({
      weight: `model.mask_decoder.output_hypernetworks_mlps.${m}.layers.${layer}.weight`,
      bias: `model.mask_decoder.output_hypernetworks_mlps.${m}.layers.${layer}.bias`,
    }),
    /** An attention module of a two-way transformer: `layers.{j}.self_attn`, `final_attn_token_to_image`, … */
    attention: (level: number, module: string) => {
      const p = `${twoWay(level)}.${module}`;
      return {
        qWeight: `${p}.q_proj.weight`,
        qBias: `${p}.q_proj.bias`,
        kWeight: `${p}.k_proj.weight`,
        kBias: `${p}.k_proj.bias`,
        vWeight: `${p}.v_proj.weight`,
        vBias: `${p}.v_proj.bias`,
        outWeight: `${p}.out_proj.weight`,
        outBias: `${p}.out_proj.bias`,
      };
    },
    layerNorm: (level: number, module: string) => ({
      weight: `${twoWay(level)}.${module}.weight`,
      bias: `${twoWay(level)}.${module}.bias`,
    }),
    blockMlp: (level: number, block: number) => ({
      lin1Weight: `${twoWay(level)}.layers.${block}.mlp.lin1.weight`,
      lin1Bias: `${twoWay(level)}.layers.${block}.mlp.lin1.bias`,
      lin2Weight: `${twoWay(level)}.layers.${block}.mlp.lin2.weight`,
      lin2Bias: `${twoWay(level)}.layers.${block}.mlp.lin2.bias`,
    }),
  },
} as const;

const clipLayer = (i: number) => `vision_model.encoder.layers.${i}`;

export const clipNames = {
  classEmbedding: "vision_model.embeddings.class_embedding",
  patchEmbedding: "vision_model.embeddings.patch_embedding.weight",
  positionEmbedding: "vision_model.embeddings.position_embedding.weight",
  preLayerNorm: { weight: "vision_model.pre_layrnorm.weight", bias: "vision_model.pre_layrnorm.bias" },
  postLayerNorm: { weight: "vision_model.post_layernorm.weight", bias: "vision_model.post_layernorm.bias" },
  layer: (i: number) => ({
    qWeight: `${clipLayer(i)}.self_attn.q_proj.weight`,
    qBias: `${clipLayer(i)}.self_attn.q_proj.bias`,
    kWeight: `${clipLayer(i)}.self_attn.k_proj.weight`,
    kBias: `${clipLayer(i)}.self_attn.k_proj.bias`,
    vWeight: `${clipLayer(i)}.self_attn.v_proj.weight`,
    vBias: `${clipLayer(i)}.self_attn.v_proj.bias`,
    outWeight: `${clipLayer(i)}.self_attn.out_proj.weight`,
    outBias: `${clipLayer(i)}.self_attn.out_proj.bias`,
    ln1Weight: `${clipLayer(i)}.layer_norm1.weight`,
    ln1Bias: `${clipLayer(i)}.layer_norm1.bias`,
    ln2Weight: `${clipLayer(i)}.layer_norm2.weight`,
    ln2Bias: `${clipLayer(i)}.layer_norm2.bias`,
    fc1Weight: `${clipLayer(i)}.mlp.fc1.weight`,
    fc1Bias: `${clipLayer(i)}.mlp.fc1.bias`,
    fc2Weight: `${clipLayer(i)}.mlp.fc2.weight`,
    fc2Bias: `${clipLayer(i)}.mlp.fc2.bias`,
  }),
} as const;

/** Mask decoder attention modules of one two-way transformer, with their internal widths. */
export function twoWayAttentionModules(depth: number): { module: string; downsampled: boolean }[] {
  const modules: { module: string; downsampled: boolean }[] = [];
  for (let j = 0; j < depth; j++) {
    modules.push({ module: `layers.${j}.self_attn`, downsampled: false });
    modules.push({ module: `layers.${j}.cross_attn_token_to_image`, downsampled: true });
    modules.push({ module: `layers.${j}.cross_attn_image_to_token`, downsampled: true });
  }
  modules.push({ module: "final_attn_token_to_image", downsampled: true });
  return modules;
}

/** Every tensor of a released PixelLM checkpoint (no vision tower keys), in checkpoint order. */
export function pixellmParameters(config: PixelLMConfig): ParameterSpec[] {
  const H = config.hidden_size;
  const V = config.vocab_size;
  const kvWidth = (H / config.num_attention_heads) * config.num_key_value_heads;
  const specs: ParameterSpec[] = [];
  const add = (name: string, shape: number[], kind: ParameterKind, group: ParameterSpec["group"]) =>
    specs.push({ name, shape, kind, group });

  add(pixellmNames.embedTokens, [V, H], "embedding", "llm");
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const n = pixellmNames.llmLayer(i);
    add(n.q, [H, H], "matrix", "llm");
    add(n.k, [kvWidth, H], "matrix", "llm");
    add(n.v, [kvWidth, H], "matrix", "llm");
    add(n.o, [H, H], "matrix", "llm");
    add(n.rotaryInvFreq, [H / config.num_attention_heads / 2], "rotary", "llm");
    add(n.gate, [config.intermediate_size, H], "matrix", "llm");
    add(n.up, [config.intermediate_size, H], "matrix", "llm");
    add(n.down, [H, config.intermediate_size], "matrix", "llm");
    add(n.inputNorm, [H], "norm_weight", "llm");
    add(n.postAttentionNorm, [H], "norm_weight", "llm");
  }
  add(pixellmNames.finalNorm, [H], "norm_weight", "llm");
  for (const which of ["mm_projector", "out_mm_projector"] as const) {
    const p = pixellmNames.projector(which);
    add(p.w0, [2 * H, config.mm_hidden_size], "matrix", "projector");
    add(p.b0, [2 * H], "bias", "projector");
    add(p.w2, [H, 2 * H], "matrix", "projector");
    add(p.b2, [H], "bias", "projector");
  }
  addPixelDecoderParameters(config, add);
  add(pixellmNames.lmHead, [V, H], "matrix", "llm");
  return specs;
}

function addPixelDecoderParameters(
  config: PixelLMConfig,
  add: (name: string, shape: number[], kind: ParameterKind, group: ParameterSpec["group"]) => void,
): void {
  const H = config.hidden_size;
  const D = config.out_dim;
  const half = D / 2;
  const fc = pixellmNames.textHiddenFcs;
  add(fc.w0, [H, H], "matrix", "pixel");
  add(fc.b0, [H], "bias", "pixel");
  add(fc.w2, [D, H], "matrix", "pixel");
  add(fc.b2, [D], "bias", "pixel");
  const neck = pixellmNames.neck;
  add(neck.conv1, [D, H, 1, 1], "conv", "pixel");
  add(neck.ln1Weight, [D], "norm_weight", "pixel");
  add(neck.ln1Bias, [D], "norm_bias", "pixel");
  add(neck.conv3, [D, D, 3, 3], "conv", "pixel");
  add(neck.ln2Weight, [D], "norm_weight", "pixel");
  add(neck.ln2Bias, [D], "norm_bias", "pixel");

  // Prompt encoder: only the PE buffer and no_mask_embed are used; the rest ships unused.
  add(pixellmNames.promptPeGaussian, [2, half], "gaussian", "pixel");
  for (let i = 0; i < 4; i++)
    add(`model.prompt_encoder.point_embeddings.${i}.weight`, [1, D], "embedding", "pixel");
  add("model.prompt_encoder.not_a_point_embed.weight", [1, D], "embedding", "pixel");
  const maskInChans = 16;
  add("model.prompt_encoder.mask_downscaling.0.weight", [maskInChans / 4, 1, 2, 2], "conv", "pixel");
  add("model.prompt_encoder.mask_downscaling.0.bias", [maskInChans / 4], "bias", "pixel");
  add("model.prompt_encoder.mask_downscaling.1.weight", [maskInChans / 4], "norm_weight", "pixel");
  add("model.prompt_encoder.mask_downscaling.1.bias", [maskInChans / 4], "norm_bias", "pixel");
  add(
    "model.prompt_encoder.mask_downscaling.3.weight",
    [maskInChans, maskInChans / 4, 2, 2],
    "conv",
    "pixel",
  );
  add("model.prompt_encoder.mask_downscaling.3.bias", [maskInChans], "bias", "pixel");
  add("model.prompt_encoder.mask_downscaling.4.weight", [maskInChans], "norm_weight", "pixel");
  add("model.prompt_encoder.mask_downscaling.4.bias", [maskInChans], "norm_bias", "pixel");
  add("model.prompt_encoder.mask_downscaling.6.weight", [D, maskInChans, 1, 1], "conv", "pixel");
  add("model.prompt_encoder.mask_downscaling.6.bias", [D], "bias", "pixel");
  add(pixellmNames.noMaskEmbed, [1, D], "embedding", "pixel");

  const dec = pixellmNames.decoder;
  for (let level = 0; level < config.image_feature_scale_num; level++) {
    for (const { module, downsampled } of twoWayAttentionModules(config.mask_decoder_depth)) {
      const a = dec.attention(level, module);
      const inner = downsampled ? half : D;
      add(a.qWeight, [inner, D], "matrix", "pixel");
      add(a.qBias, [inner], "bias", "pixel");
      add(a.kWeight, [inner, D], "matrix", "pixel");
      add(a.kBias, [inner], "bias", "pixel");
      add(a.vWeight, [inner, D], "matrix", "pixel");
      add(a.vBias, [inner], "bias", "pixel");
      add(a.outWeight, [D, inner], "matrix", "pixel");
      add(a.outBias, [D], "bias", "pixel");
    }
    for (let j = 0; j < config.mask_decoder_depth; j++) {
      for (let k = 1; k <= 4; k++) {
        const ln = dec.layerNorm(level, `layers.${j}.norm${k}`);
        add(ln.weight, [D], "norm_weight", "pixel");
        add(ln.bias, [D], "norm_bias", "pixel");
      }
      const mlp = dec.blockMlp(level, j);
      add(mlp.lin1Weight, [config.mask_decoder_mlp_dim, D], "matrix", "pixel");
      add(mlp.lin1Bias, [config.mask_decoder_mlp_dim], "bias", "pixel");
      add(mlp.lin2Weight, [D, config.mask_decoder_mlp_dim], "matrix", "pixel");
      add(mlp.lin2Bias, [D], "bias", "pixel");
    }
    const finalNorm = dec.layerNorm(level, "norm_final_attn");
    add(finalNorm.weight, [D], "norm_weight", "pixel");
    add(finalNorm.bias, [D], "norm_bias", "pixel");
  }
  const maskTokens = 4;
  add(dec.iouToken, [1, D], "embedding", "pixel");
  add(dec.maskTokens, [maskTokens, D], "embedding", "pixel");
  add(dec.levelEmbed, [config.image_feature_scale_num, D], "embedding", "pixel");
  const up = dec.outputUpscaling;
  add(up.convWeight, [D, D / 8, 2, 2], "conv", "pixel");
  add(up.convBias, [D / 8], "bias", "pixel");
  add(up.lnWeight, [D / 8], "norm_weight", "pixel");
  add(up.lnBias, [D / 8], "norm_bias", "pixel");
  const up2 = dec.upsample2x;
  add(up2.convWeight, [D, D, 2, 2], "conv", "pixel");
  add(up2.convBias, [D], "bias", "pixel");
  add(up2.lnWeight, [D], "norm_weight", "pixel");
  add(up2.lnBias, [D], "norm_bias", "pixel");
  add(dec.pe1Gaussian, [2, half], "gaussian", "pixel");
  for (let m = 0; m < maskTokens; m++) {
    for (let layer = 0; layer < 3; layer++) {
      const l = dec.hypernetworkMlp(m, layer);
      const out = layer === 2 ? D / 8 : D;
      add(l.weight, [out, D], "matrix", "pixel");
      add(l.bias, [out], "bias", "pixel");
    }
  }
  for (let layer = 0; layer < 3; layer++) {
    const out = layer === 2 ? maskTokens : D;
    add(`model.mask_decoder.iou_prediction_head.layers.${layer}.weight`, [out, D], "matrix", "pixel");
    add(`model.mask_decoder.iou_prediction_head.layers.${layer}.bias`, [out], "bias", "pixel");
  }
}

/** Every tensor of the HF CLIPVisionModel checkpoint (391 for ViT-L/14-336). */
export function clipParameters(clip: ClipVisionConfig): ParameterSpec[] {
  const W = clip.hidden_size;
  const grid = clip.image_size / clip.patch_size;
  const specs: ParameterSpec[] = [
    { name: clipNames.classEmbedding, shape: [W], kind: "embedding", group: "clip" },
    {
      name: clipNames.patchEmbedding,
      shape: [W, clip.num_channels, clip.patch_size, clip.patch_size],
      kind: "conv",
      group: "clip",
    },
    { name: clipNames.positionEmbedding, shape: [grid * grid + 1, W], kind: "embedding", group: "clip" },
    { name: clipNames.preLayerNorm.weight, shape: [W], kind: "norm_weight", group: "clip" },
    { name: clipNames.preLayerNorm.bias, shape: [W], kind: "norm_bias", group: "clip" },
  ];
  for (let i = 0; i < clip.num_hidden_layers; i++) {
    const n = clipNames.layer(i);
    const matrix = (name: string, shape: number[]) =>
      specs.push({ name, shape, kind: "matrix", group: "clip" });
    const vector = (name: string, shape: number[], kind: ParameterKind) =>
      specs.push({ name, shape, kind, group: "clip" });
    for (const [w, b] of [
      [n.kWeight, n.kBias],
      [n.vWeight, n.vBias],
      [n.qWeight, n.qBias],
      [n.outWeight, n.outBias],
    ] as const) {
      matrix(w, [W, W]);
      vector(b, [W], "bias");
    }
    vector(n.ln1Weight, [W], "norm_weight");
    vector(n.ln1Bias, [W], "norm_bias");
    matrix(n.fc1Weight, [clip.intermediate_size, W]);
    vector(n.fc1Bias, [clip.intermediate_size], "bias");
    matrix(n.fc2Weight, [W, clip.intermediate_size]);
    vector(n.fc2Bias, [W], "bias");
    vector(n.ln2Weight, [W], "norm_weight");
    vector(n.ln2Bias, [W], "norm_bias");
  }
  specs.push({ name: clipNames.postLayerNorm.weight, shape: [W], kind: "norm_weight", group: "clip" });
  specs.push({ name: clipNames.postLayerNorm.bias, shape: [W], kind: "norm_bias", group: "clip" });
  return specs;
}

/**
 * A tiny random PixelLM checkpoint and CLIP tower in the official layout (spec section 11 names,
 * official config field names, mixed dtypes as released: LLM and projectors bf16, decoder fp32,
 * CLIP fp16), generated deterministically from a seed. Test-only.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { writeSafetensors, type TensorToWrite } from "@pixellm/checkpoint";
import { encodeFloat32 } from "@pixellm/tensor";
import { SeededRandom } from "./prng";

export const TINY_SEED = 20240611;

export const TINY_CLIP = {
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 24,
  num_attention_heads: 4,
  image_size: 336,
  patch_size: 14,
  num_channels: 3,
  layer_norm_eps: 1e-5,
  hidden_act: "quick_gelu",
} as const;

/** Added tokens at the top of a 96-token base vocabulary. */
export const TINY_ADDED_TOKENS: Readonly<Record<string, number>> = {
  "[SEG0]": 96,
  "[SEG1]": 97,
  "[SEG2]": 98,
  "[SEG3]": 99,
  "[SEG4]": 100,
  "[SEG5]": 101,
  "<im_start>": 102,
  "<im_end>": 103,
};
export const TINY_SEG_IDS = [96, 97, 98, 99, 100, 101] as const;

export const TINY_CONFIG = {
  architectures: ["PixelLMForCausalLM"],
  model_type: "llava",
  hidden_size: 64,
  intermediate_size: 176,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  max_position_embeddings: 2048,
  rope_theta: 10000,
  vocab_size: 104,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: 0,
  hidden_act: "silu",
  tie_word_embeddings: false,
  mm_hidden_size: 32,
  mm_vision_select_layer: -2,
  mm_use_im_start_end: true,
  mm_vision_tower: "openai/clip-vit-large-patch14-336",
  out_dim: 32,
  seg_token_num: 3,
  image_feature_scale_num: 2,
  resize_vision_tower_size: 448,
  separate_mm_projector: true,
  pad_train_clip_images: true,
  mask_decoder_num_heads: 4,
  mask_decoder_mlp_dim: 64,
  mask_decoder_depth: 2,
} as const;

/** lm_head rows of the SEG ids are scaled up so that greedy decoding emits some SEG tokens. */
const SEG_LOGIT_BOOST = 2.2;

type StoredDType = "float32" | "float16" | "bfloat16";

interface Spec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: StoredDType;
  readonly values: (rng: SeededRandom) => Float32Array;
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

class SpecList {
  readonly specs: Spec[] = [];
  constructor(private readonly dtype: StoredDType) {}

  /** Weight [out, ...fanIn] ~ N(0, 1/fanIn). */
  weight(name: string, shape: readonly number[]): this {
    const fanIn = count(shape.slice(1));
    return this.push(name, shape, (rng) => rng.normals(count(shape), 1 / Math.sqrt(fanIn)));
  }
  /** ConvTranspose2d weight [in, out, k, k] ~ N(0, 1/in). */
  transposedConv(name: string, shape: readonly number[]): this {
    return this.push(name, shape, (rng) => rng.normals(count(shape), 1 / Math.sqrt(shape[0]!)));
  }
  normal(name: string, shape: readonly number[], std: number, mean = 0): this {
    return this.push(name, shape, (rng) => rng.normals(count(shape), std, mean));
  }
  linear(prefix: string, inF: number, outF: number, bias = true): this {
    this.weight(`${prefix}.weight`, [outF, inF]);
    return bias ? this.normal(`${prefix}.bias`, [outF], 0.1) : this;
  }
  norm(prefix: string, width: number): this {
    return this.normal(`${prefix}.weight`, [width], 0.1, 1).normal(`${prefix}.bias`, [width], 0.1);
  }
  push(name: string, shape: readonly number[], values: (rng: SeededRandom) => Float32Array): this {
    this.specs.push({ name, shape, dtype: this.dtype, values });
    return this;
  }
}

function clipSpecs(): Spec[] {
  const c = TINY_CLIP.hidden_size;
  const grid = TINY_CLIP.image_size / TINY_CLIP.patch_size;
  const s = new SpecList("float16");
  s.normal("vision_model.embeddings.class_embedding", [c], 0.5);
  s.weight("vision_model.embeddings.patch_embedding.weight", [
    c,
    3,
    TINY_CLIP.patch_size,
    TINY_CLIP.patch_size,
  ]);
  s.normal("vision_model.embeddings.position_embedding.weight", [grid * grid + 1, c], 0.5);
  s.norm("vision_model.pre_layrnorm", c);
  for (let i = 0; i < TINY_CLIP.num_hidden_layers; i++) {
    const p = `vision_model.encoder.layers.${i}`;
    for (const proj of ["q_proj", "k_proj", "v_proj", "out_proj"]) s.linear(`${p}.self_attn.${proj}`, c, c);
    s.norm(`${p}.layer_norm1`, c);
    s.linear(`${p}.mlp.fc1`, c, TINY_CLIP.intermediate_size);
    s.linear(`${p}.mlp.fc2`, TINY_CLIP.intermediate_size, c);
    s.norm(`${p}.layer_norm2`, c);
  }
  s.norm("vision_model.post_layernorm", c);
  return s.specs;
}

function llmSpecs(): Spec[] {
  const cfg = TINY_CONFIG;
  const h = cfg.hidden_size;
  const headDim = h / cfg.num_attention_heads;
  const kv = cfg.num_key_value_heads * headDim;
  const s = new SpecList("bfloat16");
  s.normal("model.embed_tokens.weight", [cfg.vocab_size, h], 1);
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    s.weight(`${p}.self_attn.q_proj.weight`, [h, h]);
    s.weight(`${p}.self_attn.k_proj.weight`, [kv, h]);
    s.weight(`${p}.self_attn.v_proj.weight`, [kv, h]);
    s.weight(`${p}.self_attn.o_proj.weight`, [h, h]);
    s.push(`${p}.self_attn.rotary_emb.inv_freq`, [headDim / 2], () =>
      Float32Array.from({ length: headDim / 2 }, (_, k) => 1 / 10000 ** ((2 * k) / headDim)),
    );
    s.weight(`${p}.mlp.gate_proj.weight`, [cfg.intermediate_size, h]);
    s.weight(`${p}.mlp.up_proj.weight`, [cfg.intermediate_size, h]);
    s.weight(`${p}.mlp.down_proj.weight`, [h, cfg.intermediate_size]);
    s.normal(`${p}.input_layernorm.weight`, [h], 0.1, 1);
    s.normal(`${p}.post_attention_layernorm.weight`, [h], 0.1, 1);
  }
  s.normal("model.norm.weight", [h], 0.1, 1);
  s.push("lm_head.weight", [cfg.vocab_size, h], (rng) => {
    const w = rng.normals(cfg.vocab_size * h, 1 / Math.sqrt(h));
    for (const id of TINY_SEG_IDS) for (let j = 0; j < h; j++) w[id * h + j]! *= SEG_LOGIT_BOOST;
    return w;
  });
  for (const projector of ["model.mm_projector", "model.out_mm_projector"]) {
    s.linear(`${projector}.0`, cfg.mm_hidden_size, 2 * h);
    s.linear(`${projector}.2`, 2 * h, h);
  }
  return s.specs;
}

function decoderSpecs(): Spec[] {
  const cfg = TINY_CONFIG;
  const h = cfg.hidden_size;
  const d = cfg.out_dim;
  const half = d / 2;
  const s = new SpecList("float32");
  s.linear("model.text_hidden_fcs.0.0", h, h);
  s.linear("model.text_hidden_fcs.0.2", h, d);
  s.weight("model.image_feature_neck.0.weight", [d, h, 1, 1]);
  s.norm("model.image_feature_neck.1", d);
  s.weight("model.image_feature_neck.2.weight", [d, d, 3, 3]);
  s.norm("model.image_feature_neck.3", d);
  const pe = "model.prompt_encoder";
  s.normal(`${pe}.pe_layer.positional_encoding_gaussian_matrix`, [2, half], 1);
  for (let i = 0; i < 4; i++) s.normal(`${pe}.point_embeddings.${i}.weight`, [1, d], 1);
  s.normal(`${pe}.not_a_point_embed.weight`, [1, d], 1);
  s.weight(`${pe}.mask_downscaling.0.weight`, [4, 1, 2, 2]).normal(`${pe}.mask_downscaling.0.bias`, [4], 0.1);
  s.norm(`${pe}.mask_downscaling.1`, 4);
  s.weight(`${pe}.mask_downscaling.3.weight`, [16, 4, 2, 2]).normal(
    `${pe}.mask_downscaling.3.bias`,
    [16],
    0.1,
  );
  s.norm(`${pe}.mask_downscaling.4`, 16);
  s.weight(`${pe}.mask_downscaling.6.weight`, [d, 16, 1, 1]).normal(
    `${pe}.mask_downscaling.6.bias`,
    [d],
    0.1,
  );
  s.normal(`${pe}.no_mask_embed.weight`, [1, d], 1);
  const md = "model.mask_decoder";
  for (let l = 0; l < 2; l++) {
    const t = `${md}.transformer.${l}`;
    for (let j = 0; j < cfg.mask_decoder_depth; j++) {
      const b = `${t}.layers.${j}`;
      for (const proj of ["q_proj", "k_proj", "v_proj", "out_proj"]) s.linear(`${b}.self_attn.${proj}`, d, d);
      s.norm(`${b}.norm1`, d);
      for (const cross of ["cross_attn_token_to_image", "cross_attn_image_to_token"]) {
        for (const proj of ["q_proj", "k_proj", "v_proj"]) s.linear(`${b}.${cross}.${proj}`, d, half);
        s.linear(`${b}.${cross}.out_proj`, half, d);
      }
      s.norm(`${b}.norm2`, d);
      s.linear(`${b}.mlp.lin1`, d, cfg.mask_decoder_mlp_dim);
      s.linear(`${b}.mlp.lin2`, cfg.mask_decoder_mlp_dim, d);
      s.norm(`${b}.norm3`, d);
      s.norm(`${b}.norm4`, d);
    }
    for (const proj of ["q_proj", "k_proj", "v_proj"])
      s.linear(`${t}.final_attn_token_to_image.${proj}`, d, half);
    s.linear(`${t}.final_attn_token_to_image.out_proj`, half, d);
    s.norm(`${t}.norm_final_attn`, d);
  }
  s.normal(`${md}.iou_token.weight`, [1, d], 1);
  s.normal(`${md}.mask_tokens.weight`, [4, d], 1);
  s.normal(`${md}.level_embed.weight`, [2, d], 1);
  s.transposedConv(`${md}.output_upscaling.0.weight`, [d, d / 8, 2, 2]);
  s.normal(`${md}.output_upscaling.0.bias`, [d / 8], 0.1);
  s.norm(`${md}.output_upscaling.1`, d / 8);
  s.transposedConv(`${md}.upsample_2x.0.weight`, [d, d, 2, 2]);
  s.normal(`${md}.upsample_2x.0.bias`, [d], 0.1);
  s.norm(`${md}.upsample_2x.1`, d);
  s.normal(`${md}.pe1.positional_encoding_gaussian_matrix`, [2, half], 1);
  for (let m = 0; m < 4; m++) {
    const p = `${md}.output_hypernetworks_mlps.${m}.layers`;
    s.linear(`${p}.0`, d, d)
      .linear(`${p}.1`, d, d)
      .linear(`${p}.2`, d, d / 8);
  }
  s.linear(`${md}.iou_prediction_head.layers.0`, d, d);
  s.linear(`${md}.iou_prediction_head.layers.1`, d, d);
  s.linear(`${md}.iou_prediction_head.layers.2`, d, 4);
  return s.specs;
}

interface Materialized {
  readonly tensors: TensorToWrite[];
  /** SHA-256 over every tensor's name, dtype, shape and stored bytes (not the file framing). */
  readonly digest: string;
}

function materialize(specs: readonly Spec[], rng: SeededRandom): Materialized {
  const hash = createHash("sha256");
  const tensors = specs.map((spec): TensorToWrite => {
    const bytes = encodeFloat32(spec.values(rng), spec.dtype);
    hash.update(`${spec.name}:${spec.dtype}:${spec.shape.join(",")}\n`).update(bytes);
    return {
      name: spec.name,
      dtype: spec.dtype,
      shape: spec.shape,
      produce: (write) => write(bytes),
    };
  });
  return { tensors, digest: hash.digest("hex") };
}

export interface TinyCheckpointDirs {
  readonly checkpointDir: string;
  readonly visionTowerDir: string;
  /** Content digests of the two tensor sets, recorded in the torch fixture. */
  readonly digests: { readonly checkpoint: string; readonly visionTower: string };
}

/** Writes `<root>/checkpoint` and `<root>/clip`; the same seed always gives the same bytes. */
export async function writeTinyCheckpoint(root: string, seed = TINY_SEED): Promise<TinyCheckpointDirs> {
  const rng = new SeededRandom(seed);
  const checkpointDir = path.join(root, "checkpoint");
  const visionTowerDir = path.join(root, "clip");
  await mkdir(checkpointDir, { recursive: true });
  await mkdir(visionTowerDir, { recursive: true });
  const clip = materialize(clipSpecs(), rng);
  const model = materialize([...llmSpecs(), ...decoderSpecs()], rng);
  await writeSafetensors(path.join(visionTowerDir, "model.safetensors"), clip.tensors);
  await writeSafetensors(path.join(checkpointDir, "model.safetensors"), model.tensors);
  const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";
  await writeFile(path.join(checkpointDir, "config.json"), json(TINY_CONFIG));
  await writeFile(path.join(checkpointDir, "added_tokens.json"), json(TINY_ADDED_TOKENS));
  await writeFile(
    path.join(visionTowerDir, "config.json"),
    json({ architectures: ["CLIPModel"], model_type: "clip", vision_config: TINY_CLIP }),
  );
  return { checkpointDir, visionTowerDir, digests: { checkpoint: model.digest, visionTower: clip.digest } };
}

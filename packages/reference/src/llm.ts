/**
 * The LLaMA decoder of transformers 4.31 over a full sequence (no KV cache): pre-RMSNorm layers,
 * rotary q/k with plain arange positions, causal attention plus a 0/1 key mask, grouped KV heads,
 * SiLU gate/up/down MLP, final norm, lm_head.
 */
import type { PixelLMConfig } from "@pixellm/checkpoint";
import { ReferenceModelError } from "./errors";
import { siluInPlace } from "./kernels/activations";
import { attention } from "./kernels/attention";
import { addInPlace, linear, type LinearWeights } from "./kernels/linear";
import { rmsNorm } from "./kernels/norm";
import { applyRotaryInPlace, rotaryTable } from "./kernels/rotary";
import { readLinear, readWeight, type WeightSource } from "./weights";

interface LlamaLayerWeights {
  readonly q: LinearWeights;
  readonly k: LinearWeights;
  readonly v: LinearWeights;
  readonly o: LinearWeights;
  readonly gate: LinearWeights;
  readonly up: LinearWeights;
  readonly down: LinearWeights;
  readonly inputNorm: Float32Array;
  readonly postAttentionNorm: Float32Array;
}

export interface LlmWeights {
  readonly config: PixelLMConfig;
  /** [V, H] */
  readonly embedTokens: Float32Array;
  readonly layers: readonly LlamaLayerWeights[];
  readonly norm: Float32Array;
  readonly lmHead: LinearWeights;
}

export async function loadLlm(source: WeightSource, config: PixelLMConfig): Promise<LlmWeights> {
  const h = config.hidden_size;
  const headDim = h / config.num_attention_heads;
  const kvWidth = config.num_key_value_heads * headDim;
  const ffn = config.intermediate_size;
  const layers: LlamaLayerWeights[] = [];
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const prefix = `model.layers.${i}`;
    layers.push({
      q: await readLinear(source, `${prefix}.self_attn.q_proj`, h, h, false),
      k: await readLinear(source, `${prefix}.self_attn.k_proj`, h, kvWidth, false),
      v: await readLinear(source, `${prefix}.self_attn.v_proj`, h, kvWidth, false),
      o: await readLinear(source, `${prefix}.self_attn.o_proj`, h, h, false),
      gate: await readLinear(source, `${prefix}.mlp.gate_proj`, h, ffn, false),
      up: await readLinear(source, `${prefix}.mlp.up_proj`, h, ffn, false),
      down: await readLinear(source, `${prefix}.mlp.down_proj`, ffn, h, false),
      inputNorm: await readWeight(source, `${prefix}.input_layernorm.weight`, [h]),
      postAttentionNorm: await readWeight(source, `${prefix}.post_attention_layernorm.weight`, [h]),
    });
  }
  return {
    config,
    embedTokens: await readWeight(source, "model.embed_tokens.weight", [config.vocab_size, h]),
    layers,
    norm: await readWeight(source, "model.norm.weight", [h]),
    lmHead: await readLinear(source, "lm_head", h, config.vocab_size, false),
  };
}

/** embed_tokens gathered for text ids, [n, H]. */
export function embedTokens(llm: LlmWeights, ids: readonly number[]): Float32Array {
  const h = llm.config.hidden_size;
  const out = new Float32Array(ids.length * h);
  for (const [t, id] of ids.entries()) {
    if (!Number.isInteger(id) || id < 0 || id >= llm.config.vocab_size) {
      throw new ReferenceModelError(
        "bad_input",
        `token id ${id} at position ${t} is outside the vocabulary of ${llm.config.vocab_size}`,
      );
    }
    out.set(llm.embedTokens.subarray(id * h, (id + 1) * h), t * h);
  }
  return out;
}

export interface LlmOutput {
  /** Last layer after the final norm, [T, H]: what LlavaLlamaForCausalLM returns as hidden_states. */
  readonly hidden: Float32Array;
  /** lm_head over every position, [T, V]. */
  readonly logits: Float32Array;
}

// in: inputs_embeds [T, H], attention_mask [T] (0/1); out: hidden [T, H], logits [T, V]
export function runLlm(llm: LlmWeights, embeds: Float32Array, mask: Uint8Array): LlmOutput {
  const { config } = llm;
  const h = config.hidden_size;
  const tokens = mask.length;
  if (embeds.length !== tokens * h) {
    throw new ReferenceModelError(
      "bad_input",
      `inputs_embeds has ${embeds.length} values; expected [${tokens},${h}]`,
    );
  }
  const heads = config.num_attention_heads;
  const kvHeads = config.num_key_value_heads;
  const headDim = h / heads;
  const rotary = rotaryTable(headDim, config.rope_theta, tokens);
  const divisor = Math.sqrt(headDim);
  const hidden = embeds.slice();
  for (const layer of llm.layers) {
    const x = rmsNorm(layer.inputNorm, config.rms_norm_eps, hidden, tokens);
    const q = linear(layer.q, x, tokens);
    const k = linear(layer.k, x, tokens);
    applyRotaryInPlace(rotary, q, tokens, heads);
    applyRotaryInPlace(rotary, k, tokens, kvHeads);
    const context = attention(
      q,
      k,
      linear(layer.v, x, tokens),
      { queries: tokens, keys: tokens, heads, kvHeads, headDim },
      { scoreDivisor: divisor, causal: true, keyMask: mask },
    );
    addInPlace(hidden, linear(layer.o, context, tokens));
    const y = rmsNorm(layer.postAttentionNorm, config.rms_norm_eps, hidden, tokens);
    const gate = siluInPlace(linear(layer.gate, y, tokens));
    const up = linear(layer.up, y, tokens);
    for (let i = 0; i < gate.length; i++) gate[i] = gate[i]! * up[i]!;
    addInPlace(hidden, linear(layer.down, gate, tokens));
  }
  const normed = rmsNorm(llm.norm, config.rms_norm_eps, hidden, tokens);
  return { hidden: normed, logits: linear(llm.lmHead, normed, tokens) };
}

/**
 * Generated values for each official parameter, by kind: fan-in scaled normal matrices, norm
 * scales near 1, small biases, unit-normal embeddings and Gaussian PE buffers, the real rotary
 * inv_freq. LLaMA layer matrices are kept small so the residual stream carries each token's
 * embedding to the LM head (which is what lets a planted answer survive the layers).
 */
import type { ParameterSpec, TensorToWrite } from "@pixellm/checkpoint";
import { NormalStream, encodeFloat32, numel, streamSeed } from "@pixellm/tensor";

export type StoredDtype = "float32" | "float16" | "bfloat16";

/** Released checkpoints are mixed: LLM and projectors bf16, pixel decoder fp32, CLIP fp32. */
export type DtypePolicy = "mixed" | StoredDtype;

export function storedDtype(spec: ParameterSpec, policy: DtypePolicy): StoredDtype {
  if (policy !== "mixed") return policy;
  return spec.group === "llm" || spec.group === "projector" ? "bfloat16" : "float32";
}

const GENERATION_CHUNK = 1 << 20;

/** Returns a filler that writes the parameter's next values into each array it is given. */
export function parameterSampler(spec: ParameterSpec, seed: number): (out: Float32Array) => void {
  if (spec.kind === "rotary") {
    const dim = 2 * numel(spec.shape);
    let index = 0;
    return (out) => {
      for (let i = 0; i < out.length; i++, index++) out[i] = 1 / 10000 ** ((2 * index) / dim);
    };
  }
  const stream = new NormalStream(streamSeed(seed, spec.name));
  const [scale, shift] = distribution(spec);
  return (out) => stream.fill(out, scale, shift);
}

/** All values of a parameter, in memory (for the small tensors a planted answer needs). */
export function sampleParameter(spec: ParameterSpec, seed: number): Float32Array {
  const out = new Float32Array(numel(spec.shape));
  parameterSampler(spec, seed)(out);
  return out;
}

/** [standard deviation, mean] of a parameter's values. */
function distribution(spec: ParameterSpec): [number, number] {
  const fanIn = spec.shape.slice(1).reduce((a, b) => a * b, 1);
  switch (spec.kind) {
    case "matrix":
      if (spec.name === "lm_head.weight") return [0.02, 0];
      return [(spec.name.startsWith("model.layers.") ? 0.4 : 1) / Math.sqrt(fanIn), 0];
    case "conv":
      return [1 / Math.sqrt(fanIn), 0];
    case "norm_weight":
      return [0.1, 1];
    case "norm_bias":
    case "bias":
      return [0.1, 0];
    case "embedding":
    case "gaussian":
    case "rotary":
      return [1, 0];
  }
}

/**
 * A streaming producer for one parameter. `override` replaces the generated values (used for
 * the planted LM head); otherwise values are generated chunk by chunk and never held whole.
 */
export function parameterTensor(
  spec: ParameterSpec,
  seed: number,
  dtype: StoredDtype,
  override?: Float32Array,
): TensorToWrite {
  const total = numel(spec.shape);
  return {
    name: spec.name,
    dtype: dtype,
    shape: spec.shape,
    produce: async (write) => {
      const fill = override ? undefined : parameterSampler(spec, seed);
      for (let start = 0; start < total; start += GENERATION_CHUNK) {
        const length = Math.min(GENERATION_CHUNK, total - start);
        const values = override ? override.subarray(start, start + length) : new Float32Array(length);
        fill?.(values);
        await write(encodeFloat32(values, dtype));
      }
    },
  };
}

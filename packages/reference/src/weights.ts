/**
 * Where the reference reads parameters from, by official name. `TensorStore` from
 * @pixellm/checkpoint satisfies it; readFloat32 decodes float32, float16 or bfloat16 storage.
 */
import { ReferenceModelError } from "./errors";
import type { AffineNorm } from "./kernels/norm";
import type { LinearWeights } from "./kernels/linear";
import type { ConvWeights } from "./kernels/conv";

export interface WeightSource {
  readFloat32(name: string): Promise<Float32Array>;
  info(name: string): { readonly shape: readonly number[] };
}

/** Reads a tensor after checking its shape, so a wrong checkpoint fails with its name. */
export async function readWeight(
  source: WeightSource,
  name: string,
  shape: readonly number[],
): Promise<Float32Array> {
  const actual = source.info(name).shape;
  if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
    throw new ReferenceModelError(
      "weight_shape",
      `weight ${name} has shape [${actual.join(",")}]; the config implies [${shape.join(",")}]`,
    );
  }
  return source.readFloat32(name);
}

/** `{prefix}.weight` [out, in] and, when `withBias`, `{prefix}.bias` [out]. */
export async function readLinear(
  source: WeightSource,
  prefix: string,
  inFeatures: number,
  outFeatures: number,
  withBias = true,
): Promise<LinearWeights> {
  return {
    weight: await readWeight(source, `${prefix}.weight`, [outFeatures, inFeatures]),
    bias: withBias ? await readWeight(source, `${prefix}.bias`, [outFeatures]) : undefined,
    inFeatures,
    outFeatures,
  };
}

/** `{prefix}.weight` and `{prefix}.bias`, both [width]. */
export async function readNorm(
  source: WeightSource,
  prefix: string,
  width: number,
  eps: number,
): Promise<AffineNorm> {
  return {
    weight: await readWeight(source, `${prefix}.weight`, [width]),
    bias: await readWeight(source, `${prefix}.bias`, [width]),
    eps,
  };
}

/** An nn.Conv2d ([out, in, k, k]) or, with `transposed`, an nn.ConvTranspose2d ([in, out, k, k]). */
export async function readConv(
  source: WeightSource,
  prefix: string,
  geometry: { inChannels: number; outChannels: number; kernel: number; bias: boolean; transposed?: boolean },
): Promise<ConvWeights> {
  const { inChannels, outChannels, kernel } = geometry;
  const shape = geometry.transposed
    ? [inChannels, outChannels, kernel, kernel]
    : [outChannels, inChannels, kernel, kernel];
  return {
    weight: await readWeight(source, `${prefix}.weight`, shape),
    bias: geometry.bias ? await readWeight(source, `${prefix}.bias`, [outChannels]) : undefined,
    inChannels,
    outChannels,
    kernel,
  };
}

/**
 * SAM's TwoWayTransformer (`transformer.py`) for one target: blocks of token self-attention
 * (block 0 without PE and without residual), token→image cross-attention, ReLU MLP and
 * image→token cross-attention, each followed by a LayerNorm; then a final token→image
 * attention and LayerNorm. Cross-attention runs at width/downsample_rate.
 */
import { reluInPlace } from "./kernels/activations";
import { attention } from "./kernels/attention";
import { addInPlace, linear, type LinearWeights } from "./kernels/linear";
import { layerNorm, type AffineNorm } from "./kernels/norm";
import { readLinear, readNorm, type WeightSource } from "./weights";

const LAYER_NORM_EPS = 1e-5;
const ATTENTION_DOWNSAMPLE_RATE = 2;

interface SamAttentionWeights {
  readonly q: LinearWeights;
  readonly k: LinearWeights;
  readonly v: LinearWeights;
  readonly out: LinearWeights;
  readonly heads: number;
}

interface TwoWayBlockWeights {
  readonly selfAttn: SamAttentionWeights;
  readonly norm1: AffineNorm;
  readonly crossTokenToImage: SamAttentionWeights;
  readonly norm2: AffineNorm;
  readonly mlpLin1: LinearWeights;
  readonly mlpLin2: LinearWeights;
  readonly norm3: AffineNorm;
  readonly norm4: AffineNorm;
  readonly crossImageToToken: SamAttentionWeights;
}

export interface TwoWayTransformerWeights {
  readonly width: number;
  readonly blocks: readonly TwoWayBlockWeights[];
  readonly finalAttn: SamAttentionWeights;
  readonly finalNorm: AffineNorm;
}

export interface TwoWayShape {
  readonly width: number;
  readonly heads: number;
  readonly mlpDim: number;
  readonly depth: number;
}

async function readAttention(
  source: WeightSource,
  prefix: string,
  width: number,
  internal: number,
  heads: number,
): Promise<SamAttentionWeights> {
  return {
    q: await readLinear(source, `${prefix}.q_proj`, width, internal),
    k: await readLinear(source, `${prefix}.k_proj`, width, internal),
    v: await readLinear(source, `${prefix}.v_proj`, width, internal),
    out: await readLinear(source, `${prefix}.out_proj`, internal, width),
    heads,
  };
}

export async function loadTwoWayTransformer(
  source: WeightSource,
  prefix: string,
  shape: TwoWayShape,
): Promise<TwoWayTransformerWeights> {
  const { width, heads, mlpDim, depth } = shape;
  const half = width / ATTENTION_DOWNSAMPLE_RATE;
  const blocks: TwoWayBlockWeights[] = [];
  for (let j = 0; j < depth; j++) {
    const p = `${prefix}.layers.${j}`;
    blocks.push({
      selfAttn: await readAttention(source, `${p}.self_attn`, width, width, heads),
      norm1: await readNorm(source, `${p}.norm1`, width, LAYER_NORM_EPS),
      crossTokenToImage: await readAttention(source, `${p}.cross_attn_token_to_image`, width, half, heads),
      norm2: await readNorm(source, `${p}.norm2`, width, LAYER_NORM_EPS),
      mlpLin1: await readLinear(source, `${p}.mlp.lin1`, width, mlpDim),
      mlpLin2: await readLinear(source, `${p}.mlp.lin2`, mlpDim, width),
      norm3: await readNorm(source, `${p}.norm3`, width, LAYER_NORM_EPS),
      norm4: await readNorm(source, `${p}.norm4`, width, LAYER_NORM_EPS),
      crossImageToToken: await readAttention(source, `${p}.cross_attn_image_to_token`, width, half, heads),
    });
  }
  return {
    width,
    blocks,
    finalAttn: await readAttention(source, `${prefix}.final_attn_token_to_image`, width, half, heads),
    finalNorm: await readNorm(source, `${prefix}.norm_final_attn`, width, LAYER_NORM_EPS),
  };
}

/** SAM's Attention: project, split heads, softmax(q·kᵀ/√c_per_head)·v, recombine, out_proj. */
function samAttention(
  w: SamAttentionWeights,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  queries: number,
  keys: number,
): Float32Array {
  const internal = w.q.outFeatures;
  const headDim = internal / w.heads;
  const context = attention(
    linear(w.q, q, queries),
    linear(w.k, k, keys),
    linear(w.v, v, keys),
    { queries, keys, heads: w.heads, kvHeads: w.heads, headDim },
    { scoreDivisor: Math.sqrt(headDim) },
  );
  return linear(w.out, context, queries);
}

function plus(a: Float32Array, b: Float32Array): Float32Array {
  return addInPlace(a.slice(), b);
}

export interface TwoWayOutput {
  /** [tokens, width] */
  readonly queries: Float32Array;
  /** [pixels, width] */
  readonly keys: Float32Array;
}

// in: image [pixels, width] and its PE [pixels, width], tokens [n, width] (also the query PE)
export function runTwoWayTransformer(
  w: TwoWayTransformerWeights,
  image: Float32Array,
  imagePe: Float32Array,
  tokens: Float32Array,
): TwoWayOutput {
  const width = w.width;
  const n = tokens.length / width;
  const pixels = image.length / width;
  let queries = tokens;
  let keys = image;
  for (const [j, block] of w.blocks.entries()) {
    if (j === 0) {
      queries = samAttention(block.selfAttn, queries, queries, queries, n, n);
    } else {
      const q = plus(queries, tokens);
      queries = plus(queries, samAttention(block.selfAttn, q, q, queries, n, n));
    }
    queries = layerNorm(block.norm1, queries, n);

    let q = plus(queries, tokens);
    let k = plus(keys, imagePe);
    queries = plus(queries, samAttention(block.crossTokenToImage, q, k, keys, n, pixels));
    queries = layerNorm(block.norm2, queries, n);

    const hiddenMlp = reluInPlace(linear(block.mlpLin1, queries, n));
    queries = plus(queries, linear(block.mlpLin2, hiddenMlp, n));
    queries = layerNorm(block.norm3, queries, n);

    q = plus(queries, tokens);
    k = plus(keys, imagePe);
    keys = plus(keys, samAttention(block.crossImageToToken, k, q, queries, pixels, n));
    keys = layerNorm(block.norm4, keys, pixels);
  }
  const q = plus(queries, tokens);
  const k = plus(keys, imagePe);
  queries = plus(queries, samAttention(w.finalAttn, q, k, keys, n, pixels));
  queries = layerNorm(w.finalNorm, queries, n);
  return { queries, keys };
}

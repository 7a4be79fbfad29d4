/**
 * Graph building blocks with PyTorch semantics (nn.Linear, nn.LayerNorm, SAM's LayerNorm2d,
 * erf-GELU, LLaMA's RMSNorm, multi-head attention cores). Every helper takes value names and
 * returns value names; weights are passed in as initializer names.
 */
import type { GraphBuilder } from "@pixellm/onnx";

/** nn.Linear on a 2-D input: y = x Wᵀ + b, with W kept in PyTorch's [out, in] layout. */
// in: x [M, in]; out: [M, out]
export function linear(g: GraphBuilder, x: string, weight: string, bias?: string): string {
  return g.op("Gemm", bias ? [x, weight, bias] : [x, weight], { transB: 1 });
}

/** nn.LayerNorm over the last axis. */
export function layerNorm(g: GraphBuilder, x: string, weight: string, bias: string, epsilon: number): string {
  return g.op("LayerNormalization", [x, weight, bias], { axis: -1, epsilon: { float: epsilon } });
}

/**
 * SAM's LayerNorm2d (segment_anything/modeling/common.py): normalises over channels of NCHW
 * with `u = mean_c(x)`, `s = mean_c((x-u)²)`, `(x-u)/sqrt(s+eps)`, then per-channel affine.
 * weight/bias must be shaped [C,1,1].
 */
export function layerNorm2d(
  g: GraphBuilder,
  x: string,
  weight: string,
  bias: string,
  epsilon = 1e-6,
): string {
  const centered = g.op("Sub", [x, g.op("ReduceMean", [x], { axes: [1], keepdims: 1 })]);
  const variance = g.op("ReduceMean", [g.op("Mul", [centered, centered])], { axes: [1], keepdims: 1 });
  const normalized = g.op("Div", [centered, g.op("Sqrt", [g.op("Add", [variance, g.scalar(epsilon)])])]);
  return g.op("Add", [g.op("Mul", [normalized, weight]), bias]);
}

/** nn.GELU() (exact, erf form): 0.5·x·(1 + erf(x/√2)). onnxruntime fuses this into Gelu. */
export function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op("Erf", [g.op("Div", [x, g.scalar(Math.SQRT2)])]);
  return g.op("Mul", [g.op("Mul", [x, g.scalar(0.5)]), g.op("Add", [erf, g.scalar(1)])]);
}

/** CLIP's quick_gelu: x·sigmoid(1.702x). */
export function quickGelu(g: GraphBuilder, x: string): string {
  return g.op("Mul", [x, g.op("Sigmoid", [g.op("Mul", [x, g.scalar(1.702)])])]);
}

export function silu(g: GraphBuilder, x: string): string {
  return g.op("Mul", [x, g.op("Sigmoid", [x])]);
}

/**
 * LLaMA RMSNorm as transformers 4.31 computes it: the variance and the scaling in float32,
 * the result cast back to the activation type, then multiplied by the weight.
 */
export function rmsNorm(g: GraphBuilder, x: string, weight: string, epsilon: number): string {
  const x32 = toFloat32(g, x);
  const variance = g.op("ReduceMean", [g.op("Mul", [x32, x32])], { axes: [-1], keepdims: 1 });
  const inverse = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [variance, float32Scalar(g, epsilon)])])]);
  return g.op("Mul", [weight, fromFloat32(g, g.op("Mul", [x32, inverse]))]);
}

/** A float32 scalar regardless of the graph's float type (for float32 islands in fp16 graphs). */
export function float32Scalar(g: GraphBuilder, value: number): string {
  return g.op("Constant", [], { value_float: { float: value } });
}

export function toFloat32(g: GraphBuilder, x: string): string {
  return g.floatType === "float32" ? x : g.op("Cast", [x], { to: 1 });
}

export function fromFloat32(g: GraphBuilder, x: string): string {
  return g.floatType === "float32" ? x : g.op("Cast", [x], { to: 10 });
}

/**
 * softmax(q·kᵀ / divisor + bias)·v over [B, heads, Sq, d] × [B, heads, Sk, d].
 * `divisor` is √d for LLaMA and SAM (omit it when q is pre-scaled, as CLIP does); `bias` is an
 * additive mask broadcastable to [B, heads, Sq, Sk]. With `softmaxInFloat32` the logits are
 * upcast first, as LLaMA does (`softmax(..., dtype=torch.float32)`).
 */
export function attentionCore(
  g: GraphBuilder,
  q: string,
  k: string,
  v: string,
  options: { divisor?: number; bias?: string; softmaxInFloat32?: boolean },
): string {
  let logits = g.op("MatMul", [q, g.op("Transpose", [k], { perm: [0, 1, 3, 2] })]);
  if (options.divisor !== undefined) logits = g.op("Div", [logits, g.scalar(options.divisor)]);
  if (options.softmaxInFloat32) {
    logits = toFloat32(g, logits);
    if (options.bias) logits = g.op("Add", [logits, options.bias]);
    const probabilities = fromFloat32(g, g.op("Softmax", [logits], { axis: -1 }));
    return g.op("MatMul", [probabilities, v]);
  }
  if (options.bias) logits = g.op("Add", [logits, options.bias]);
  return g.op("MatMul", [g.op("Softmax", [logits], { axis: -1 }), v]);
}

/** [B*S, heads*d] → [B, heads, S, d], given a shape value [B, S, heads, d]. */
export function splitHeads(g: GraphBuilder, x: string, bshd: string): string {
  return g.op("Transpose", [g.op("Reshape", [x, bshd])], { perm: [0, 2, 1, 3] });
}

/** [B, heads, S, d] → [B*S, heads*d], given a shape value [B*S, heads*d]. */
export function mergeHeads(g: GraphBuilder, x: string, flat: string): string {
  return g.op("Reshape", [g.op("Transpose", [x], { perm: [0, 2, 1, 3] }), flat]);
}

/** Concatenates 1-D int64 shape pieces (constants or Shape/Gather outputs) into one shape value. */
export function shapeOf(g: GraphBuilder, parts: readonly string[]): string {
  return g.op("Concat", [...parts], { axis: 0 });
}

/** Dimension `axis` of `x` as a 1-element int64 tensor. */
export function dim(g: GraphBuilder, x: string, axis: number): string {
  return g.op("Gather", [g.op("Shape", [x]), g.int64s([axis])], { axis: 0 });
}

/**
 * nn.Linear on an N-D input: x·Wᵀ + b through MatMul. The in-graph Transpose of the constant
 * weight is folded by onnxruntime at load; used for the small pixel-decoder weights, where
 * activations keep their [N, tokens, C] shape for positional-encoding broadcasts.
 */
// in: x [..., in]; out: [..., out]
export function linearNd(g: GraphBuilder, x: string, weight: string, bias?: string): string {
  const product = g.op("MatMul", [x, g.op("Transpose", [weight], { perm: [1, 0] })]);
  return bias ? g.op("Add", [product, bias]) : product;
}

export { erf } from "./erf";
export {
  geluInPlace,
  quickGeluInPlace,
  siluInPlace,
  reluInPlace,
  sigmoid,
  softmaxInPlace,
  argmax,
} from "./activations";
export { linear, matmul, addInPlace, transpose, type LinearWeights } from "./linear";
export { conv2d, convTranspose2x2, type ConvWeights, type FeatureMap, type Conv2dGeometry } from "./conv";
export { layerNorm, layerNorm2d, rmsNorm, type AffineNorm } from "./norm";
export { resizeBilinear, resizeNearest, nearestSourceIndex } from "./interpolate";
export { rotaryTable, rotaryInverseFrequencies, applyRotaryInPlace, type RotaryTable } from "./rotary";
export { attention, type AttentionShape, type AttentionMasking } from "./attention";

/**
 * Pixel counts of one prediction against one target, everything the matching cost and the pair
 * IoU need, in a single pass. Predictions are binary (0/1); targets hold the official per-pixel
 * part counts (target-mask.ts).
 *
 * The pair IoU is `intersectionAndUnionGPU(output, target, K=2, ignore_index=255)`, class 1:
 * pixels where the target is 255 are ignored, and `histc(bins=2, min=0, max=1)` counts only the
 * values 0 and 1, so a target pixel holding 2 (two overlapping parts) is neither target nor
 * intersection, while a predicted pixel there still counts in the union.
 */

export interface PairOverlap {
  /** Σ predicted pixels (the prediction's area). */
  readonly predicted: number;
  /** Σ target values (the matching cost uses them as they are, like the official float mask). */
  readonly targetSum: number;
  /** Σ target values under the prediction. */
  readonly targetSumPredicted: number;
  /** Target pixels equal to 1: class 1 of the target's histogram. */
  readonly targetOnes: number;
  /** Predicted pixels where the target is 1. */
  readonly intersection: number;
  /** Predicted pixels not ignored (target ≠ 255): class 1 of the output's histogram. */
  readonly predictedCounted: number;
}

/** in: prediction uint8[H,W] 0/1, target uint8[H,W] part counts (same size) */
export function pairOverlap(prediction: Uint8Array, target: Uint8Array): PairOverlap {
  if (prediction.length !== target.length) {
    throw new RangeError(`prediction has ${prediction.length} pixels but the target ${target.length}`);
  }
  let predicted = 0;
  let targetSum = 0;
  let targetSumPredicted = 0;
  let targetOnes = 0;
  let intersection = 0;
  let predictedCounted = 0;
  for (let p = 0; p < target.length; p++) {
    const t = target[p]!;
    targetSum += t;
    if (t === 1) targetOnes++;
    if (prediction[p] === 0) continue;
    predicted++;
    targetSumPredicted += t;
    if (t === 1) intersection++;
    if (t !== 255) predictedCounted++;
  }
  return { predicted, targetSum, targetSumPredicted, targetOnes, intersection, predictedCounted };
}

/** A scored pair: class-1 intersection and union, and the IoU `ar_validate` accumulates. */
export interface PairScore {
  /** Index of the prediction in the question's answer, or null for an empty prediction. */
  readonly prediction: number | null;
  /** Index of the target in the question's answers, or null for an empty target. */
  readonly target: number | null;
  readonly intersection: number;
  readonly union: number;
  readonly iou: number;
}

/** `acc_iou = I / (U + 1e-5)`, plus 1.0 when U == 0 (nothing predicted, nothing to find). */
export function pairIou(intersection: number, union: number): number {
  return intersection / (union + 1e-5) + (union === 0 ? 1 : 0);
}

export function matchedPair(prediction: number, target: number, o: PairOverlap): PairScore {
  const union = o.predictedCounted + o.targetOnes - o.intersection;
  return { prediction, target, intersection: o.intersection, union, iou: pairIou(o.intersection, union) };
}

/** An unmatched target, paired with an empty prediction: I = 0, U = its class-1 area. */
export function missedTarget(target: number, targetOnes: number): PairScore {
  return { prediction: null, target, intersection: 0, union: targetOnes, iou: pairIou(0, targetOnes) };
}

/** An unmatched prediction, paired with an empty target: I = 0, U = its area. */
export function extraPrediction(prediction: number, predicted: number): PairScore {
  return { prediction, target: null, intersection: 0, union: predicted, iou: pairIou(0, predicted) };
}

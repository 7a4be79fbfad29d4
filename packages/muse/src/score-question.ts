/**
 * One question of `ar_validate`: match its predicted masks to its targets (`match_pred`), then
 * list the pairs as the official code concatenates them — matched pairs by prediction index,
 * then each unmatched target with an empty prediction, then each unmatched prediction with an
 * empty target — each with its class-1 intersection, union and IoU.
 */
import { matchPredictions } from "./assignment";
import { costMatrix } from "./hungarian";
import { matchingCost } from "./matching-cost";
import {
  type PairOverlap,
  type PairScore,
  extraPrediction,
  matchedPair,
  missedTarget,
  pairOverlap,
} from "./pair-overlap";

export interface QuestionScore {
  readonly predictions: number;
  readonly targets: number;
  readonly pairs: readonly PairScore[];
}

/**
 * in: predictions uint8[H,W] 0/1 each, targets uint8[H,W] part counts each (target-mask.ts), all
 * of one image's size
 */
export function scoreQuestion(
  predictions: readonly Uint8Array[],
  targets: readonly Uint8Array[],
  pixels: number,
): QuestionScore {
  for (const mask of [...predictions, ...targets]) {
    if (mask.length !== pixels) throw new RangeError(`a mask has ${mask.length} pixels, expected ${pixels}`);
  }
  const overlaps: PairOverlap[][] = predictions.map((p) => targets.map((t) => pairOverlap(p, t)));
  const matched = matchPredictions(
    costMatrix(predictions.length, targets.length, (i, j) => matchingCost(overlaps[i]![j]!, pixels)),
  );
  const pairs: PairScore[] = matched.map(({ prediction, target }) =>
    matchedPair(prediction, target, overlaps[prediction]![target]!),
  );
  const isMatchedTarget = new Set(matched.map((m) => m.target));
  const isMatchedPrediction = new Set(matched.map((m) => m.prediction));
  targets.forEach((t, j) => {
    if (!isMatchedTarget.has(j)) pairs.push(missedTarget(j, countEqual(t, 1)));
  });
  predictions.forEach((p, i) => {
    if (!isMatchedPrediction.has(i)) pairs.push(extraPrediction(i, p.length - countEqual(p, 0)));
  });
  return { predictions: predictions.length, targets: targets.length, pairs };
}

function countEqual(mask: Uint8Array, value: number): number {
  let n = 0;
  for (let p = 0; p < mask.length; p++) if (mask[p] === value) n++;
  return n;
}

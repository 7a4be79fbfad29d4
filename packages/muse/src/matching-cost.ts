/**
 * The cost `match_pred` minimises: sigmoid-BCE + Dice with weights 1:1 (the `cost_* = 5`
 * constants are overwritten before use). Two deliberate differences from the official code,
 * forced by determinism and by what a serving system returns:
 *  - it is computed over every pixel of the masks at the original resolution, not at 12,544
 *    random points (the points' average estimates exactly this mean);
 *  - predictions are binary masks (what the services return as COCO RLE), so p ∈ {0, 1} and the
 *    log terms take torch's BCE clamp at −100: −log p is 0 where p = 1 and 100 where p = 0.
 *
 * With P = Σp, T = Σt, PT = Σp·t over the H·W pixels:
 *   BCE  = 100·(P + T − 2·PT) / (H·W)         (Σ[p=0]·t + Σ[p=1]·(1−t), times 100, averaged)
 *   Dice = 1 − (2·PT + 1) / (P + T + 1)
 */
import type { PairOverlap } from "./pair-overlap";

/** Per-pixel −log of a 0 probability under torch's clamp (`log(0)` is clamped to −100). */
const CLAMPED_LOG_LOSS = 100;

export function matchingCost(overlap: PairOverlap, pixels: number): number {
  const { predicted: P, targetSum: T, targetSumPredicted: PT } = overlap;
  const bce = (CLAMPED_LOG_LOSS * (P + T - 2 * PT)) / pixels;
  const dice = 1 - (2 * PT + 1) / (P + T + 1);
  return bce + dice;
}

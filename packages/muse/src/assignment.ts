/**
 * The matching of `match_pred` (predictions × targets, `linear_sum_assignment`) with its ties
 * broken by a rule, so that two implementations agree on masks with equal costs (common with
 * binary masks, e.g. two empty predictions):
 *
 *   among the assignments whose total cost is within TIE_TOLERANCE of the minimum, take the one
 *   that gives the first item of the smaller side (predictions when both sides are equal) the
 *   lowest-numbered partner, then the second item, and so on.
 *
 * Found greedily: each item tries its partners in order and keeps the first one with which the
 * rest can still be completed at the minimum cost (a smaller assignment problem per try).
 */
import { type CostMatrix, costMatrix, minimumAssignment } from "./hungarian";

/** Totals closer than this count as equal: far below any cost difference between distinct masks. */
export const TIE_TOLERANCE = 1e-9;

export interface MatchedPair {
  readonly prediction: number;
  readonly target: number;
}

/** in: cost[prediction][target] → matched pairs in increasing prediction order */
export function matchPredictions(cost: CostMatrix): MatchedPair[] {
  const transposed = cost.rows > cost.cols;
  const matrix = transposed ? costMatrix(cost.cols, cost.rows, (r, c) => at(cost, c, r)) : cost;
  const partners = canonicalAssignment(matrix);
  const pairs = partners.map((partner, item) =>
    transposed ? { prediction: partner, target: item } : { prediction: item, target: partner },
  );
  return pairs.sort((a, b) => a.prediction - b.prediction);
}

function at(matrix: CostMatrix, r: number, c: number): number {
  return matrix.values[r * matrix.cols + c]!;
}

/** Sum of the chosen costs, row by row (the order both implementations use). */
function total(matrix: CostMatrix, columns: readonly number[], rows: readonly number[]): number {
  let sum = 0;
  rows.forEach((r, i) => (sum += at(matrix, r, columns[i]!)));
  return sum;
}

/** Minimum cost of assigning `rows` to distinct `cols` (rows.length ≤ cols.length). */
function minimumCost(matrix: CostMatrix, rows: readonly number[], cols: readonly number[]): number {
  if (rows.length === 0) return 0;
  const sub = costMatrix(rows.length, cols.length, (r, c) => at(matrix, rows[r]!, cols[c]!));
  const chosen = minimumAssignment(sub).map((c) => cols[c]!);
  return total(matrix, chosen, rows);
}

/** rows ≤ cols: out[r] is row r's column under the tie rule. */
function canonicalAssignment(matrix: CostMatrix): number[] {
  const rows = Array.from({ length: matrix.rows }, (_, r) => r);
  const best = minimumCost(
    matrix,
    rows,
    Array.from({ length: matrix.cols }, (_, c) => c),
  );
  const chosen: number[] = [];
  let fixedCost = 0;
  for (const row of rows) {
    const free = Array.from({ length: matrix.cols }, (_, c) => c).filter((c) => !chosen.includes(c));
    const later = rows.slice(row + 1);
    const column = free.find(
      (c) =>
        fixedCost +
          at(matrix, row, c) +
          minimumCost(
            matrix,
            later,
            free.filter((f) => f !== c),
          ) <=
        best + TIE_TOLERANCE,
    );
    // The previous rows' choices extend to an optimum, so some column always qualifies.
    if (column === undefined) throw new Error(`no optimal completion for row ${row}`);
    chosen.push(column);
    fixedCost += at(matrix, row, column);
  }
  return chosen;
}

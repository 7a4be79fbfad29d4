import { streamSeed, uniformStream } from "@pixellm/tensor";
import { describe, expect, it } from "vitest";
import { costMatrix, matchPredictions, minimumAssignment } from "../src";

/** Every injective map of the rows into the columns (rows ≤ cols), by brute force. */
function allAssignments(rows: number, cols: number): number[][] {
  if (rows === 0) return [[]];
  return allAssignments(rows - 1, cols).flatMap((prefix) =>
    Array.from({ length: cols }, (_, c) => c)
      .filter((c) => !prefix.includes(c))
      .map((c) => [...prefix, c]),
  );
}

const cost = (values: number[][]) =>
  costMatrix(values.length, values[0]?.length ?? 0, (r, c) => values[r]![c]!);
const sum = (values: number[][], columns: number[]) => columns.reduce((s, c, r) => s + values[r]![c]!, 0);

describe("minimumAssignment", () => {
  it("finds the brute-force minimum on random rectangular matrices", () => {
    const draw = uniformStream(streamSeed(3, "assignment"));
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + Math.floor(draw() * 5);
      const cols = rows + Math.floor(draw() * 3);
      // Small integers make ties frequent; negative costs are allowed.
      const values = Array.from({ length: rows }, () =>
        Array.from({ length: cols }, () => Math.floor(draw() * 7) - 2),
      );
      const columns = minimumAssignment(cost(values));
      expect(new Set(columns).size).toBe(rows);
      const best = Math.min(...allAssignments(rows, cols).map((a) => sum(values, a)));
      expect(sum(values, columns)).toBe(best);
    }
  });

  it("refuses more rows than columns and non-finite costs", () => {
    expect(() => minimumAssignment(cost([[1], [2]]))).toThrow(/rows <= cols/);
    expect(() => minimumAssignment(cost([[Number.NaN, 1]]))).toThrow(/finite/);
  });
});

describe("matchPredictions", () => {
  it("matches each prediction of the smaller side to its optimal target", () => {
    // 3 predictions, 2 targets: prediction 2 is best for target 0, prediction 0 for target 1.
    const pairs = matchPredictions(
      cost([
        [5, 1],
        [4, 4],
        [0, 9],
      ]),
    );
    expect(pairs).toEqual([
      { prediction: 0, target: 1 },
      { prediction: 2, target: 0 },
    ]);
  });

  it("breaks ties by giving earlier items the lower-numbered partner", () => {
    expect(
      matchPredictions(
        cost([
          [1, 1],
          [1, 1],
        ]),
      ),
    ).toEqual([
      { prediction: 0, target: 0 },
      { prediction: 1, target: 1 },
    ]);
    // More predictions than targets: the targets are the smaller side and choose in order.
    expect(matchPredictions(cost([[2], [2], [2]]))).toEqual([{ prediction: 0, target: 0 }]);
    // Ties never trade optimality: target 0 skips prediction 0 (no optimum uses it) and takes
    // prediction 1; target 1 then takes the lowest remaining optimal one, prediction 0.
    expect(
      matchPredictions(
        cost([
          [3, 1],
          [1, 3],
          [1, 1],
        ]),
      ),
    ).toEqual([
      { prediction: 0, target: 1 },
      { prediction: 1, target: 0 },
    ]);
  });

  it("returns nothing when either side is empty", () => {
    expect(matchPredictions(costMatrix(0, 3, () => 0))).toEqual([]);
    expect(matchPredictions(costMatrix(2, 0, () => 0))).toEqual([]);
  });
});

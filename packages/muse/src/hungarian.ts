/**
 * The rectangular linear sum assignment problem (what `scipy.optimize.linear_sum_assignment`
 * solves): pair every item of the smaller side with a distinct item of the other side so that
 * the summed cost is minimal. Solved with the Hungarian method in its shortest-augmenting-path
 * form with row and column potentials, O(n²m) for n ≤ m.
 */

/** A cost matrix, row-major: `at(r, c)` = `values[r * cols + c]`. */
export interface CostMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly values: Float64Array;
}

export function costMatrix(rows: number, cols: number, cost: (r: number, c: number) => number): CostMatrix {
  const values = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values[r * cols + c] = cost(r, c);
  return { rows, cols, values };
}

/**
 * One minimum-cost assignment for a matrix with rows ≤ cols: out[r] is the column of row r.
 * Which optimum is returned when several tie is left to the algorithm (see assignment.ts for
 * the deterministic choice).
 */
export function minimumAssignment(matrix: CostMatrix): number[] {
  const { rows: n, cols: m, values } = matrix;
  if (n > m) throw new RangeError(`minimumAssignment needs rows <= cols, got ${n}x${m}`);
  if (values.some((v) => !Number.isFinite(v))) throw new RangeError("assignment costs must be finite");
  // 1-based potentials; column 0 is the virtual start of each augmenting path.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const rowOfColumn = new Int32Array(m + 1); // 0 = free
  const previous = new Int32Array(m + 1);
  for (let row = 1; row <= n; row++) {
    rowOfColumn[0] = row;
    let column = 0;
    const slack = new Float64Array(m + 1).fill(Infinity);
    const visited = new Uint8Array(m + 1);
    do {
      visited[column] = 1;
      const r = rowOfColumn[column]!;
      let delta = Infinity;
      let next = 0;
      for (let c = 1; c <= m; c++) {
        if (visited[c]) continue;
        const reduced = values[(r - 1) * m + (c - 1)]! - u[r]! - v[c]!;
        if (reduced < slack[c]!) {
          slack[c] = reduced;
          previous[c] = column;
        }
        if (slack[c]! < delta) {
          delta = slack[c]!;
          next = c;
        }
      }
      for (let c = 0; c <= m; c++) {
        if (visited[c]) {
          u[rowOfColumn[c]!]! += delta;
          v[c]! -= delta;
        } else slack[c]! -= delta;
      }
      column = next;
    } while (rowOfColumn[column] !== 0);
    // Flip the augmenting path back to the start.
    while (column !== 0) {
      const from = previous[column]!;
      rowOfColumn[column] = rowOfColumn[from]!;
      column = from;
    }
  }
  const columnOfRow = new Array<number>(n).fill(-1);
  for (let c = 1; c <= m; c++) if (rowOfColumn[c]! > 0) columnOfRow[rowOfColumn[c]! - 1] = c - 1;
  return columnOfRow;
}

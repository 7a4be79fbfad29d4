/**
 * The CLIP position table rebuilt for 448-pixel input, as `clip_encoder.py load_model` does it,
 * off-by-one included: the first g² rows of the old table (CLS row 0 and patch rows 1..g²−1,
 * without the last patch row) are viewed as a g×g grid, bilinearly resized to G×G, and the old
 * LAST row is appended as row G². With position ids arange(G²+1), CLS reads grid row 0 and
 * patch j reads row j+1, the last patch reading the appended old last patch row.
 */
import { transpose } from "./kernels/linear";
import { resizeBilinear } from "./kernels/interpolate";
import { ReferenceModelError } from "./errors";

// in: old [g²+1, C]; out: [G²+1, C]
export function rebuildPositionTable(
  old: Float32Array,
  channels: number,
  oldGrid: number,
  newGrid: number,
): Float32Array {
  const oldRows = oldGrid * oldGrid + 1;
  if (old.length !== oldRows * channels) {
    throw new ReferenceModelError(
      "weight_shape",
      `position table has ${old.length / channels} rows; a ${oldGrid}×${oldGrid} patch grid needs ${oldRows}`,
    );
  }
  const gridRows = oldGrid * oldGrid;
  // W[:-1].permute(1, 0).view(1, C, g, g)
  const grid = transpose(old.subarray(0, gridRows * channels), gridRows, channels);
  const resized = resizeBilinear(grid, channels, oldGrid, oldGrid, newGrid, newGrid);
  const newRows = newGrid * newGrid;
  const table = new Float32Array((newRows + 1) * channels);
  table.set(transpose(resized, channels, newRows), 0);
  table.set(old.subarray(gridRows * channels), newRows * channels);
  return table;
}

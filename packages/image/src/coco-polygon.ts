/**
 * COCO polygons → RLE, pixel for pixel as pycocotools rasterises them (`rleFrPoly` in
 * common/maskApi.c, reached through `mask.frPyObjects`): the outline is traced on a 5× finer
 * grid, its crossings of pixel-column centres become run boundaries. A pixel belongs to the
 * polygon when its centre lies inside, up to that tracing's rounding; ground-truth masks of
 * COCO-format datasets (MUSE among them) are defined by exactly this rasterisation.
 */
import type { Rle } from "./rle";

/** The tracing grid's refinement (`scale` in maskApi.c). */
const SCALE = 5;

/**
 * C's `(int)` of a double: truncation toward zero, and the x86-64 result (INT_MIN) for NaN
 * and out-of-range values, which rleFrPoly produces on an edge of zero length.
 */
function cInt(x: number): number {
  if (Number.isNaN(x) || x >= 2 ** 31 || x < -(2 ** 31)) return -(2 ** 31);
  return Math.trunc(x);
}

/**
 * One polygon `[x0, y0, x1, y1, …]` in pixel coordinates → uncompressed RLE of an h×w mask.
 * in: xy float[2k], k ≥ 3 points (pycocotools takes any list longer than 4 numbers as a polygon)
 */
export function polygonToRle(xy: readonly number[], height: number, width: number): Rle {
  if (xy.length % 2 !== 0 || xy.length <= 4) {
    throw new RangeError(`a polygon needs x,y pairs for at least 3 points, got ${xy.length} numbers`);
  }
  if (xy.some((v) => !Number.isFinite(v))) throw new RangeError("polygon coordinates must be finite numbers");
  const [u, v] = traceOutline(xy);
  return runsFromBoundary(columnCrossings(u, v, height, width), height, width);
}

/** The outline on the 5× grid, one point per step along the longer axis of each edge. */
function traceOutline(xy: readonly number[]): [number[], number[]] {
  const k = xy.length / 2;
  const x = Array.from({ length: k + 1 }, (_, j) => cInt(SCALE * xy[2 * (j % k)]! + 0.5));
  const y = Array.from({ length: k + 1 }, (_, j) => cInt(SCALE * xy[2 * (j % k) + 1]! + 0.5));
  const u: number[] = [];
  const v: number[] = [];
  for (let j = 0; j < k; j++) {
    let [xs, xe, ys, ye] = [x[j]!, x[j + 1]!, y[j]!, y[j + 1]!];
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) [xs, xe, ys, ye] = [xe, xs, ye, ys];
    const slope = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u.push(t + xs);
        v.push(cInt(ys + slope * t + 0.5));
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v.push(t + ys);
        u.push(cInt(xs + slope * t + 0.5));
      }
    }
  }
  return [u, v];
}

/** Where the outline crosses a pixel column's centre: (column, first row below the crossing). */
function columnCrossings(
  u: readonly number[],
  v: readonly number[],
  height: number,
  width: number,
): number[] {
  const starts: number[] = [];
  for (let j = 1; j < u.length; j++) {
    if (u[j] === u[j - 1]) continue;
    const column = ((u[j]! < u[j - 1]! ? u[j]! : u[j]! - 1) + 0.5) / SCALE - 0.5;
    if (Math.floor(column) !== column || column < 0 || column > width - 1) continue;
    const top = (Math.min(v[j]!, v[j - 1]!) + 0.5) / SCALE - 0.5;
    const row = Math.ceil(Math.min(Math.max(top, 0), height));
    starts.push(column * height + row);
  }
  return starts;
}

/** Sorted crossing positions (column-major) → alternating run lengths, empty runs folded away. */
function runsFromBoundary(positions: number[], height: number, width: number): Rle {
  const a = [...positions, height * width].sort((p, q) => p - q);
  for (let j = a.length - 1; j > 0; j--) a[j]! -= a[j - 1]!;
  const counts = [a[0]!];
  for (let j = 1; j < a.length;) {
    if (a[j]! > 0) counts.push(a[j++]!);
    else {
      j++;
      if (j < a.length) counts[counts.length - 1]! += a[j++]!;
    }
  }
  return { size: [height, width], counts };
}

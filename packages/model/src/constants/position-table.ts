/**
 * The CLIP position table rebuilt for 448-pixel input, as `CLIPVisionTower.load_model`
 * (clip_encoder.py) does it — including its off-by-one: the rows that get interpolated are
 * `W[:-1]` (the CLS row 0 and all patch rows but the last), and the old *last patch row* is
 * appended as the new last row. So the CLS token reads interpolated grid row 0.
 */
import { f32 } from "./fp32";

/**
 * in: table float32[oldGrid²+1, width] (the checkpoint's position_embedding.weight)
 * out: float32[newGrid²+1, width]
 */
export function rebuildPositionTable(
  table: Float32Array,
  width: number,
  oldGrid: number,
  newGrid: number,
): Float32Array {
  const oldRows = oldGrid * oldGrid + 1;
  if (table.length !== oldRows * width)
    throw new RangeError(`position table has ${table.length / width} rows, expected ${oldRows}`);
  const out = new Float32Array((newGrid * newGrid + 1) * width);
  const taps = bilinearTaps(oldGrid, newGrid);
  for (const [y, ty] of taps.entries()) {
    for (const [x, tx] of taps.entries()) {
      const dst = (y * newGrid + x) * width;
      // Rows of `W[:-1]` viewed as an oldGrid×oldGrid image: row r*oldGrid + c.
      const r00 = (ty.i0 * oldGrid + tx.i0) * width;
      const r01 = (ty.i0 * oldGrid + tx.i1) * width;
      const r10 = (ty.i1 * oldGrid + tx.i0) * width;
      const r11 = (ty.i1 * oldGrid + tx.i1) * width;
      for (let c = 0; c < width; c++) {
        const top = f32(ty.w0 * f32(f32(tx.w0 * table[r00 + c]!) + f32(tx.w1 * table[r01 + c]!)));
        const bottom = f32(ty.w1 * f32(f32(tx.w0 * table[r10 + c]!) + f32(tx.w1 * table[r11 + c]!)));
        out[dst + c] = f32(top + bottom);
      }
    }
  }
  out.set(table.subarray((oldRows - 1) * width), newGrid * newGrid * width);
  return out;
}

interface Tap {
  readonly i0: number;
  readonly i1: number;
  readonly w0: number;
  readonly w1: number;
}

/** Source taps of `F.interpolate(mode="bilinear", align_corners=False)` along one axis. */
function bilinearTaps(inSize: number, outSize: number): Tap[] {
  const scale = f32(inSize / outSize);
  return Array.from({ length: outSize }, (_, dst) => {
    const src = Math.max(0, f32(f32(scale * f32(dst + 0.5)) - 0.5));
    const i0 = Math.floor(src);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const w1 = f32(src - i0);
    return { i0, i1, w0: f32(1 - w1), w1 };
  });
}

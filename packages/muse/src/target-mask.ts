/**
 * A target's ground-truth mask as the official loader builds it: each part decoded (polygons
 * rasterised exactly as pycocotools does), summed per pixel and cast to uint8. Pixels covered by
 * two parts of one target therefore hold 2, which the metric then treats as the official
 * `histc` does (see pair-stats.ts).
 */
import { decodeRle, polygonToRle } from "@pixellm/image";
import type { Segmentation } from "./record";

/** out: uint8[H,W] row-major, the number of parts covering each pixel (mod 256, as astype(uint8)) */
export function targetMask(segmentation: Segmentation, height: number, width: number): Uint8Array {
  const mask = new Uint8Array(height * width);
  for (const part of segmentation) {
    const bits = decodeRle(part.kind === "rle" ? part.rle : polygonToRle(part.xy, height, width));
    for (let p = 0; p < bits.length; p++) mask[p]! += bits[p]!;
  }
  return mask;
}

/** How the commands print one segmented target (client segment, segment, demo). */
export interface PrintedTarget {
  readonly index: number;
  readonly bbox: readonly number[];
  readonly area: number;
  readonly score: number;
}

export function targetLine(t: PrintedTarget): string {
  return `  mask ${t.index}: bbox [${t.bbox.join(", ")}], area ${t.area} px, score ${t.score.toFixed(3)}`;
}

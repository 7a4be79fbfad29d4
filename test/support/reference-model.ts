/** The pure-TypeScript reference model of a generated checkpoint (independent of the ONNX graphs). */
import { openCheckpoint } from "@pixellm/checkpoint";
import { type ReferenceModel, loadReferenceModel } from "@pixellm/reference";

export async function loadReference(checkpointDir: string, visionTowerDir: string): Promise<ReferenceModel> {
  const checkpoint = await openCheckpoint({ checkpointDir, visionTowerDir });
  try {
    return await loadReferenceModel({
      checkpoint: checkpoint.llm,
      visionTower: checkpoint.vision,
      config: checkpoint.config,
      clip: checkpoint.clip,
    });
  } finally {
    await checkpoint.close();
  }
}

/** max |a - b| over two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

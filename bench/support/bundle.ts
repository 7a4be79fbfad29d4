/** A generated checkpoint exported as a float32 bundle: the model every benchmark serves. */
import path from "node:path";
import { exportBundle } from "@pixellm/model";
import { type MakeCheckpointOptions, makeCheckpoint } from "@pixellm/tiny";

/** Writes the checkpoint under `options.outDir` and the bundle at `outDir/bundle`; returns the latter. */
export async function generatedBundle(options: MakeCheckpointOptions): Promise<string> {
  const checkpoint = await makeCheckpoint(options);
  const bundleDir = path.join(options.outDir, "bundle");
  await exportBundle({
    checkpointDir: checkpoint.checkpointDir,
    visionTowerDir: checkpoint.visionTowerDir,
    outDir: bundleDir,
    dtype: "float32",
  });
  return bundleDir;
}

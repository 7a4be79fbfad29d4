/**
 * Generated tiny checkpoints and bundles for integration tests: made in a temporary directory
 * in seconds (never downloaded, never committed).
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { exportBundle } from "@pixellm/model";
import { type GeneratedCheckpoint, type PresetName, makeCheckpoint } from "@pixellm/tiny";

export interface TinyBundle extends GeneratedCheckpoint {
  readonly root: string;
  readonly bundleDir: string;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `pixellm-${prefix}-`));
}

export async function makeTinyCheckpoint(
  seed = 0,
  preset: PresetName = "tiny",
): Promise<GeneratedCheckpoint & { root: string }> {
  const root = await tempDir("checkpoint");
  return { root, ...(await makeCheckpoint({ outDir: root, preset, seed })) };
}

export async function makeTinyBundle(
  options: { seed?: number; dtype?: "float32" | "float16"; externalData?: "auto" | "always" } = {},
): Promise<TinyBundle> {
  const checkpoint = await makeTinyCheckpoint(options.seed ?? 0);
  const bundleDir = path.join(checkpoint.root, "bundle");
  await exportBundle({
    checkpointDir: checkpoint.checkpointDir,
    visionTowerDir: checkpoint.visionTowerDir,
    outDir: bundleDir,
    dtype: options.dtype ?? "float32",
    externalData: options.externalData ?? "auto",
  });
  return { ...checkpoint, bundleDir };
}

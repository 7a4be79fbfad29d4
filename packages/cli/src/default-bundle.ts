/**
 * The bundle used when no --model is given: the tiny generated model, built on first use in the
 * user's cache directory ($PIXELLM_CACHE_DIR, else $XDG_CACHE_HOME/pixellm or ~/.cache/pixellm).
 * Its directory name carries the generator's and the bundle format's versions, so a changed
 * generator or format builds a new one.
 */
import { access, mkdir, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { BUNDLE_VERSION } from "@pixellm/bundle";
import { exportBundle } from "@pixellm/model";
import { TINY_GENERATOR_VERSION, makeCheckpoint } from "@pixellm/tiny";

export function cacheDir(): string {
  return (
    process.env.PIXELLM_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pixellm")
  );
}

export async function defaultBundle(): Promise<string> {
  const target = path.join(cacheDir(), `tiny-v${TINY_GENERATOR_VERSION}-format${BUNDLE_VERSION}`);
  const bundleDir = path.join(target, "bundle");
  if (await exists(path.join(bundleDir, "pixellm.json"))) return bundleDir;
  console.error(`pixellm: generating the tiny model bundle in ${target} (first use, a few seconds)`);
  const staging = `${target}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const made = await makeCheckpoint({ outDir: staging, preset: "tiny", seed: 0 });
  await exportBundle({
    checkpointDir: made.checkpointDir,
    visionTowerDir: made.visionTowerDir,
    outDir: path.join(staging, "bundle"),
    dtype: "float32",
    name: "pixellm-tiny",
  });
  try {
    await rename(staging, target);
  } catch (error) {
    // Another process finished first: use its bundle.
    await rm(staging, { recursive: true, force: true });
    if (!(await exists(path.join(bundleDir, "pixellm.json")))) throw error;
  }
  return bundleDir;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * The bundle used when no --model is given: the demo model trained on the synthetic MUSE data
 * (models/pixellm-demo, checked in; scripts/train/README.md says how it was made), exported on
 * first use into the user's cache directory ($PIXELLM_CACHE_DIR, else $XDG_CACHE_HOME/pixellm or
 * ~/.cache/pixellm). The directory name carries a digest of the checkpoint's files and the bundle
 * format version, so a retrained model or a new format is exported anew.
 */
import { createHash } from "node:crypto";
import { access, mkdir, readFile, readdir, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { BUNDLE_VERSION } from "@pixellm/bundle";
import { exportBundle } from "@pixellm/model";
import { UsageError } from "./usage-error";

/** The shipped checkpoint: `checkpoint/` (LLM, decoder, tokenizer) and `vision-tower/` (CLIP). */
export const DEMO_MODEL_DIR = path.join(import.meta.dirname, "../../../models/pixellm-demo");

export function cacheDir(): string {
  return (
    process.env.PIXELLM_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pixellm")
  );
}

/** sha256 over the checkpoint's file names and contents, in name order (first 12 hex digits). */
async function checkpointDigest(dir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const sub of ["checkpoint", "vision-tower"]) {
    for (const name of (await readdir(path.join(dir, sub))).sort()) {
      hash.update(`${sub}/${name}\0`);
      hash.update(await readFile(path.join(dir, sub, name)));
    }
  }
  return hash.digest("hex").slice(0, 12);
}

/** `modelDir` is the shipped checkpoint's directory (another only in tests). */
export async function defaultBundle(modelDir = DEMO_MODEL_DIR): Promise<string> {
  // The container images leave models/ out (their deployments always name a bundle).
  if (!(await exists(path.join(modelDir, "checkpoint"))))
    throw new UsageError(
      `no --model given, and this installation has no demo model (${modelDir} is missing: the container images leave it out); give --model BUNDLE`,
    );
  const digest = await checkpointDigest(modelDir);
  const target = path.join(cacheDir(), `demo-${digest}-format${BUNDLE_VERSION}`);
  const bundleDir = path.join(target, "bundle");
  if (await exists(path.join(bundleDir, "pixellm.json"))) return bundleDir;
  console.error(`pixellm: exporting the demo model bundle to ${target} (first use, a second)`);
  const staging = `${target}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await exportBundle({
    checkpointDir: path.join(modelDir, "checkpoint"),
    visionTowerDir: path.join(modelDir, "vision-tower"),
    outDir: path.join(staging, "bundle"),
    dtype: "float32",
    name: "pixellm-demo",
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

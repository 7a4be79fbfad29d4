/** Writes the seeded tiny checkpoint to a temporary directory and loads the reference model from it. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { TensorStore, parseClipVisionConfig, parsePixelLMConfig, readJsonObject } from "@pixellm/checkpoint";
import { loadReferenceModel, type ReferenceModel } from "../../src";
import { TINY_SEED, writeTinyCheckpoint, type TinyCheckpointDirs } from "./tiny-checkpoint";

export interface TinyModel {
  readonly model: ReferenceModel;
  readonly digests: TinyCheckpointDirs["digests"];
}

export async function loadTinyModel(seed = TINY_SEED): Promise<TinyModel> {
  const root = await mkdtemp(path.join(tmpdir(), "pixellm-reference-"));
  try {
    const dirs = await writeTinyCheckpoint(root, seed);
    const config = parsePixelLMConfig(
      await readJsonObject(path.join(dirs.checkpointDir, "config.json"), "config"),
    );
    const clip = parseClipVisionConfig(
      await readJsonObject(path.join(dirs.visionTowerDir, "config.json"), "vision config"),
    );
    const checkpoint = await TensorStore.openDirectory(dirs.checkpointDir, "checkpoint");
    const visionTower = await TensorStore.openDirectory(dirs.visionTowerDir, "vision tower");
    try {
      return {
        model: await loadReferenceModel({ checkpoint, visionTower, config, clip }),
        digests: dirs.digests,
      };
    } finally {
      await Promise.all([checkpoint.close(), visionTower.close()]);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

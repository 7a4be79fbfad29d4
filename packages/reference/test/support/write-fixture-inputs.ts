/**
 * Writes the tiny checkpoint, CLIP tower and cross-check inputs for scripts/reference/pixellm_torch.py.
 * Usage: tsx packages/reference/test/support/write-fixture-inputs.ts <out-dir>
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { encodeNpy, float32Tensor } from "@pixellm/tensor";
import { TINY_SEED, TINY_SEG_IDS, writeTinyCheckpoint } from "./tiny-checkpoint";
import {
  EOS_ID,
  EVALUATE_MAX_NEW_TOKENS,
  EVALUATE_PROMPT,
  FIXTURE_IMAGE_SIZE,
  FIXTURE_ORIGINAL,
  FIXTURE_RESIZED,
  TEACHER_IDS,
  fixturePixels,
} from "./fixture-inputs";

const out = process.argv[2];
if (!out) {
  console.error("usage: write-fixture-inputs.ts <out-dir>");
  process.exit(2);
}
const dirs = await writeTinyCheckpoint(out, TINY_SEED);
const pixels = path.join(out, "pixels.npy");
const pixelValues = fixturePixels();
await writeFile(pixels, encodeNpy(float32Tensor([3, FIXTURE_IMAGE_SIZE, FIXTURE_IMAGE_SIZE], pixelValues)));
const input = {
  seed: TINY_SEED,
  digests: dirs.digests,
  pixels,
  pixels_sum: pixelValues.reduce((a, b) => a + b, 0),
  resized_size: FIXTURE_RESIZED,
  original_size: FIXTURE_ORIGINAL,
  seg_ids: TINY_SEG_IDS,
  eos_id: EOS_ID,
  evaluate: { prompt_ids: EVALUATE_PROMPT, max_new_tokens: EVALUATE_MAX_NEW_TOKENS },
  teacher: { ids: TEACHER_IDS },
};
await writeFile(path.join(out, "input.json"), JSON.stringify(input, null, 2) + "\n");
console.log(`wrote ${dirs.checkpointDir}, ${dirs.visionTowerDir} and ${out}/input.json`);

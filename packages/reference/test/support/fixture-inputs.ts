/**
 * The inputs of the PyTorch cross-check, shared by the test and the fixture generator: an image
 * of 180×120 (resized to 448×299, so columns pad), a free-generation prompt and a teacher-forced
 * prompt+answer with two SEG groups.
 */
import { TINY_ADDED_TOKENS, TINY_SEED, TINY_SEG_IDS } from "./tiny-checkpoint";
import { SeededRandom } from "./prng";

export const FIXTURE_RESIZED: readonly [number, number] = [448, 299];
export const FIXTURE_ORIGINAL: readonly [number, number] = [180, 120];
export const FIXTURE_IMAGE_SIZE = 448;

const IM_START = TINY_ADDED_TOKENS["<im_start>"]!;
const IM_END = TINY_ADDED_TOKENS["<im_end>"]!;
const SEG = [...TINY_SEG_IDS];

/** "[BOS] … <im_start> <image> <im_end> … ASSISTANT:"-shaped ids (word ids are arbitrary). */
export const EVALUATE_PROMPT = [1, 12, 34, 56, IM_START, -200, IM_END, 7, 8, 9, 10, 29];
export const EVALUATE_MAX_NEW_TOKENS = 23;
export const EOS_ID = 2;

/** Prompt followed by an answer with two interleaved SEG groups and </s>. */
export const TEACHER_IDS = [
  1,
  12,
  34,
  56,
  IM_START,
  -200,
  IM_END,
  7,
  8,
  29,
  40,
  ...SEG,
  41,
  42,
  ...SEG,
  43,
  2,
];

// out: pixel_values [3, 448, 448], N(0, 1) on the resized area, zero padding elsewhere
export function fixturePixels(seed = TINY_SEED + 1): Float32Array {
  const rng = new SeededRandom(seed);
  const s = FIXTURE_IMAGE_SIZE;
  const [h, w] = FIXTURE_RESIZED;
  const pixels = new Float32Array(3 * s * s);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels[(c * s + y) * s + x] = rng.normal();
  }
  return pixels;
}

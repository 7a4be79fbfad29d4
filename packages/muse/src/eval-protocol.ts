/**
 * How the official MUSE evaluation asks its questions (`ar_validate` with
 * `MultiReasonSegValDataset`), and how we split its results by number of targets.
 *
 * The user text: `LONG_QUESTION_LIST` (utils/utils.py) appends
 * one of two requests to the question, picked with `random.choice` per question. We pick from a
 * seeded stream instead (mulberry32 over streamSeed(seed, "muse-eval-prompts")), one draw per
 * question in file order, so a run is repeatable and `--limit N` asks the first N questions
 * exactly as the full run does. The `<image>` placeholder and the llava_v1 template are added by
 * the serving pipeline, as for any query.
 */
import { streamSeed, uniformStream } from "@pixellm/tensor";

export const EVAL_PROMPT_SUFFIXES = [
  "Please respond with segmentation mask.",
  "Please output segmentation mask.",
] as const;

export const DEFAULT_PROMPT_SEED = 0;

/** The k-th result is the prompt of the k-th question in file order. */
export function evaluationPrompts(questions: readonly string[], seed = DEFAULT_PROMPT_SEED): string[] {
  const draw = uniformStream(streamSeed(seed, "muse-eval-prompts"));
  return questions.map((q) => `${q} ${EVAL_PROMPT_SUFFIXES[draw() < 0.5 ? 0 : 1]}`);
}

/** `evaluate(..., max_new_tokens=512)` in ar_validate. */
export const EVAL_MAX_NEW_TOKENS = 512;

/**
 * Our "few targets" / "many targets" breakdown, after the official test_less / test_many split
 * files (separate JSON files there; the code holds no rule): a question with at most this many
 * targets is "few", one with more is "many".
 */
export const FEW_TARGETS_MAX = 3;

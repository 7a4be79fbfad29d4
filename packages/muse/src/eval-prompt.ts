/**
 * The user text of the official MUSE evaluation: `LONG_QUESTION_LIST` (utils/utils.py) appends
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

/**
 * Whether an answer says what the file's reference answer (`text_answers`) says: the reference
 * with its k-th `{seg}` written as the k-th target's placeholder, as the pipeline writes answers,
 * compared with whitespace left out (the detokenised answer spaces punctuation its own way:
 * "ball <mask:0> ." for "ball {seg}.").
 *
 * A diagnostic, not part of the metric. Where references are templated, as in the synthetic data
 * ("Sure, the red ball {seg}."), it tells the two ways a question can fail apart: the answer
 * names the wrong objects, or it names the right ones and the masks miss. Free-form references
 * (MUSE's own) are rarely matched word for word, so there it stays near 0 for any model.
 */
import { SEG_PLACEHOLDER } from "@pixellm/muse";
import { placeholder } from "@pixellm/pipeline";

export function matchesReference(answer: string, reference: string): boolean {
  const expected = reference
    .split(SEG_PLACEHOLDER)
    .map((part, k, parts) => (k < parts.length - 1 ? part + placeholder(k) : part))
    .join("");
  return withoutWhitespace(answer) === withoutWhitespace(expected);
}

function withoutWhitespace(text: string): string {
  return text.replace(/\s+/g, "");
}

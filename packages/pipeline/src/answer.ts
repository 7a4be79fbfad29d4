/**
 * The answer as users get it: chat.py's decoded text, then each codebook group ("[SEG0] …
 * [SEG5]", one per target) replaced by a `<mask:k>` placeholder whose span is reported with
 * target k. Without masks (none, or a count that is not a whole number of groups) the text
 * keeps the raw tokens.
 */
export interface AnswerText {
  /** Answer with placeholders, without the trailing </s>. */
  readonly text: string;
  /** chat.py's text_output for the answer ids ("\n" removed, double spaces collapsed). */
  readonly rawText: string;
  /** [start, end) of each target's placeholder in `text`. */
  readonly spans: readonly (readonly [number, number])[];
}

export function placeholder(index: number): string {
  return `<mask:${index}>`;
}

export function formatAnswer(
  rawText: string,
  codebookTokens: readonly string[],
  targets: number,
  eosText: string,
): AnswerText {
  const base = rawText.endsWith(eosText) ? rawText.slice(0, -eosText.length).trimEnd() : rawText;
  const pattern = new RegExp(codebookTokens.map(escapeRegExp).join("|"), "g");
  const matches = [...base.matchAll(pattern)];
  const groupSize = codebookTokens.length;
  if (targets === 0 || matches.length !== targets * groupSize) return { text: base, rawText, spans: [] };
  let text = "";
  let cursor = 0;
  const spans: [number, number][] = [];
  for (let k = 0; k < targets; k++) {
    const first = matches[k * groupSize]!;
    const last = matches[(k + 1) * groupSize - 1]!;
    text += base.slice(cursor, first.index);
    const start = text.length;
    text += placeholder(k);
    spans.push([start, text.length]);
    cursor = last.index + last[0].length;
  }
  text += base.slice(cursor);
  return { text, rawText, spans };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

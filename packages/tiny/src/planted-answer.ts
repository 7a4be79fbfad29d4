/**
 * A deterministic answer planted into a generated model so that greedy decoding of any prompt
 * yields text with one codebook group, like a real PixelLM answer:
 *
 *   <prompt ends with "ASSISTANT:"> Sure, it is [SEG0] [SEG1] [SEG2] [SEG3] [SEG4] [SEG5].</s>
 *
 * Layer weights of generated models are small, so the final hidden state of a position stays
 * close to (the RMS-normalised) embedding of its token. Setting the LM-head row of each answer
 * token to a multiple of the unit embedding of the token before it makes that token the argmax:
 * a bigram chain from the prompt's last token to </s>.
 */

/** Logit margin of a planted step, in units of the normalised hidden state. */
const STRENGTH = 1;

export const PLANTED_ANSWER_PIECES = ["▁Sure", ",", "▁it", "▁is"] as const;

/**
 * in:  embed float32[V,H], lmHead float32[V,H] (modified in place), chain of token ids from the
 *      prompt's last token to eos
 */
export function plantChain(
  embed: Float32Array,
  lmHead: Float32Array,
  hidden: number,
  chain: readonly number[],
): void {
  if (new Set(chain).size !== chain.length)
    throw new Error(`planted answer chain repeats a token: ${chain.join(",")}`);
  for (let k = 0; k + 1 < chain.length; k++) {
    const from = chain[k]! * hidden;
    const to = chain[k + 1]! * hidden;
    let norm = 0;
    for (let i = 0; i < hidden; i++) norm += embed[from + i]! ** 2;
    const scale = STRENGTH / Math.sqrt(norm);
    for (let i = 0; i < hidden; i++) lmHead[to + i] = scale * embed[from + i]!;
  }
}

/**
 * The planted answer's text before its codebook group: "Sure, it is" and then, up to `length`
 * tokens, further vocabulary ids in order, each used once (the chain may not repeat a token)
 * and none of `taken` (the prompt's, the group's, "." and </s>).
 */
export function plantedLeadIn(
  start: readonly number[],
  length: number,
  vocabSize: number,
  taken: ReadonlySet<number>,
): number[] {
  const ids = start.slice(0, length);
  const used = new Set([...taken, ...ids]);
  for (let id = 3; ids.length < length && id < vocabSize; id++) if (!used.has(id)) ids.push(id);
  if (ids.length < length) throw new Error(`the vocabulary has too few tokens for a ${length}-token lead-in`);
  return ids;
}

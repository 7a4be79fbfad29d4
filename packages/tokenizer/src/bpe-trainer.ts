/**
 * A small, deterministic BPE trainer in the spirit of sentencepiece's (`--model_type=bpe`): text
 * is normalised like LLaMA's normaliser (dummy prefix, spaces as `▁`), words start at `▁`, and the
 * most frequent adjacent pair is merged until `maxMerges` or no pair occurs twice. Pieces follow
 * sentencepiece's rules for valid pieces: `▁` only at the start, no mixing of letters with digits
 * or punctuation, digits never merged (LLaMA's split_digits).
 *
 * Pieces that repeat a shorter unit three or more times ("...", "aaa") are not learned: BPE by
 * score (sentencepiece) and BPE by merge rank (tokenizers) can split runs of them differently,
 * and the generated tokenizer.json must encode exactly like the tokenizer.model.
 */
import { SPACE_SYMBOL } from "./text";

export interface BpeTrainingOptions {
  readonly maxMerges: number;
  readonly maxPieceLength: number;
}

export interface TrainedBpe {
  /** Merged pieces in the order they were learned (the first is the most frequent). */
  readonly merges: readonly string[];
  /** Every character of the corpus, most frequent first. */
  readonly characters: readonly string[];
}

type CharClass = "letter" | "digit" | "other";

function charClass(ch: string): CharClass {
  if (/^[\p{L}\p{M}]$/u.test(ch)) return "letter";
  if (/^\p{N}$/u.test(ch)) return "digit";
  return "other";
}

function isRepetition(chars: readonly string[]): boolean {
  const n = chars.length;
  for (let unit = 1; unit * 3 <= n; unit++) {
    if (n % unit === 0 && chars.every((c, i) => c === chars[i % unit])) return true;
  }
  return false;
}

export function isValidPiece(piece: string, maxPieceLength: number): boolean {
  const chars = Array.from(piece);
  if (chars.length > maxPieceLength) return false;
  const body = chars[0] === SPACE_SYMBOL ? chars.slice(1) : chars;
  if (body.length === 0 || body.includes(SPACE_SYMBOL)) return false;
  const cls = charClass(body[0]!);
  if (cls === "digit" || body.some((c) => charClass(c) !== cls)) return false;
  return !isRepetition(chars);
}

function corpusWords(sentences: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const sentence of sentences) {
    const normalized = SPACE_SYMBOL + sentence.replaceAll(" ", SPACE_SYMBOL);
    for (const word of normalized.split(new RegExp(`(?=${SPACE_SYMBOL})`))) {
      if (word !== "") counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return counts;
}

const byCountThenText = <T extends { count: number; text: string }>(a: T, b: T): number =>
  b.count - a.count || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);

export function trainBpe(sentences: readonly string[], options: BpeTrainingOptions): TrainedBpe {
  const words = [...corpusWords(sentences)].map(([word, count]) => ({ symbols: Array.from(word), count }));

  const charCounts = new Map<string, number>();
  for (const { symbols, count } of words) {
    for (const ch of symbols) charCounts.set(ch, (charCounts.get(ch) ?? 0) + count);
  }
  const characters = [...charCounts]
    .map(([text, count]) => ({ text, count }))
    .sort(byCountThenText)
    .map((c) => c.text);

  const merges: string[] = [];
  while (merges.length < options.maxMerges) {
    const pairs = new Map<string, { left: string; right: string; count: number; text: string }>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const text = symbols[i]! + symbols[i + 1]!;
        if (!isValidPiece(text, options.maxPieceLength)) continue;
        const key = `${symbols[i]!}\u0000${symbols[i + 1]!}`;
        const pair = pairs.get(key) ?? { left: symbols[i]!, right: symbols[i + 1]!, count: 0, text };
        pair.count += count;
        pairs.set(key, pair);
      }
    }
    const best = [...pairs.values()].sort(byCountThenText)[0];
    if (best === undefined || best.count < 2) break;
    // A piece can be reached by a second pair ("▁t"+"he", later "▁th"+"e"); it is merged, not relearned.
    if (!merges.includes(best.text)) merges.push(best.text);
    for (const word of words) word.symbols = mergePair(word.symbols, best.left, best.right);
  }
  return { merges, characters };
}

function mergePair(symbols: readonly string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === left && symbols[i + 1] === right) {
      out.push(left + right);
      i++;
    } else {
      out.push(symbols[i]!);
    }
  }
  return out;
}

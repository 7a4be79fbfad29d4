/**
 * sentencepiece's normalizer with the identity rule set (LLaMA's `normalizer_spec`): the optional
 * removal of extra spaces, the dummy-prefix `▁`, and spaces escaped as `▁`
 * (google/sentencepiece v0.1.97 src/normalizer.cc, `Normalizer::Normalize`).
 */
import { SPACE_SYMBOL, wellFormed } from "./text";

export interface NormalizerOptions {
  readonly addDummyPrefix: boolean;
  readonly removeExtraWhitespaces: boolean;
  readonly escapeWhitespaces: boolean;
}

export function normalize(input: string, options: NormalizerOptions): string {
  const chars = Array.from(wellFormed(input));
  const space = options.escapeWhitespaces ? SPACE_SYMBOL : " ";
  let start = 0;
  // Only the ASCII space counts as whitespace here, exactly as in normalizer.cc.
  if (options.removeExtraWhitespaces) while (start < chars.length && chars[start] === " ") start++;
  if (start === chars.length) return "";
  let out = options.addDummyPrefix ? space : "";
  let previousIsSpace = options.removeExtraWhitespaces;
  for (let i = start; i < chars.length; i++) {
    const ch = chars[i]!;
    if (previousIsSpace && ch === " ") continue;
    out += ch === " " ? space : ch;
    previousIsSpace = options.removeExtraWhitespaces && ch === " ";
  }
  if (options.removeExtraWhitespaces) while (out.endsWith(space)) out = out.slice(0, -space.length);
  return out;
}

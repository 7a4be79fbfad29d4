/** Unicode helpers shared by the encoders. */

/** U+2581, sentencepiece's visible space (`kSpaceSymbol`). */
export const SPACE_SYMBOL = "\u2581";

/**
 * Replaces lone UTF-16 surrogates with U+FFFD, which is what UTF-8 encoding of the text would do,
 * so that the code-point based encoders see the same characters as sentencepiece's UTF-8 input.
 */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

/** Code points for which Python's `str.isspace()` is true; `str.strip()` without arguments removes them. */
const PYTHON_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002,
  0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

const isPythonSpace = (text: string, index: number): boolean => PYTHON_WHITESPACE.has(text.charCodeAt(index));

export function pythonLstrip(text: string): string {
  let start = 0;
  while (start < text.length && isPythonSpace(text, start)) start++;
  return text.slice(start);
}

export function pythonRstrip(text: string): string {
  let end = text.length;
  while (end > 0 && isPythonSpace(text, end - 1)) end--;
  return text.slice(0, end);
}

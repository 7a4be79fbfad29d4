/**
 * Splitting text on added tokens the way transformers 4.31.0's slow tokenizer does
 * (`PreTrainedTokenizer.tokenize` and `Trie.split` in src/transformers/tokenization_utils.py).
 *
 * 1. `Trie.split` cuts the text at every occurrence of a no-split token (the special tokens
 *    `<s>`, `</s>`, `<unk>` and every added token). At each position the earliest-starting match
 *    wins, and among matches from that start the longest (its lookahead).
 * 2. Whitespace next to a no-split token is stripped from the neighbouring text:
 *    - if the token is one of the special-token attributes (`bos_token`, `eos_token`, `unk_token`,
 *      `pad_token`, `additional_special_tokens`) held as an `AddedToken` object, only as its
 *      `lstrip`/`rstrip` flags say. LLaMA's `<s>`, `</s>`, `<unk>` are `AddedToken(lstrip=False,
 *      rstrip=False)`, so nothing is stripped around them;
 *    - otherwise (a plain string: every token from `add_tokens`, whether it was added with
 *      `special_tokens=True` or not, and every token reloaded from added_tokens.json), Python's
 *      `str.rstrip()` of the text on its left and `str.lstrip()` of the text on its right
 *      ("# We strip left and right by default"). So `[SEG0]` … `[SEG5]` and `<im_start>`/`<im_end>`
 *      behave the same: "is [SEG0] [SEG1]" → "is", "[SEG0]", "[SEG1]" and "<im_end>\nWhat" →
 *      "<im_end>", "What".
 *    Texts left empty are dropped. 4.31 ignores `single_word` and `normalized` here.
 * 3. Each remaining text is encoded by sentencepiece on its own, so it gets its own dummy-prefix
 *    `▁` (the `legacy=True` behaviour of `LlamaTokenizer._tokenize`): "[SEG0]is" → "[SEG0]", "▁is".
 *
 * transformers >= 4.34 keeps the spaces (AddedToken defaults lstrip/rstrip=False) and, with
 * legacy=False, encodes them as a lone `▁` (id 29871 in LLaMA), which is why newer versions give
 * other ids for the same prompt (PixelLM issue #23).
 */
import { pythonLstrip, pythonRstrip } from "./text";

export interface StripRule {
  readonly lstrip: boolean;
  readonly rstrip: boolean;
}

export interface TextPart {
  readonly text: string;
  /** True when `text` is one of the no-split tokens. */
  readonly isToken: boolean;
}

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  terminal: boolean;
}

const newNode = (): TrieNode => ({ children: new Map(), terminal: false });

export class AddedTokenSplitter {
  private readonly root = newNode();
  private readonly tokens: ReadonlySet<string>;

  /**
   * `stripRules` holds the tokens that are AddedToken special-token attributes; every other token
   * has whitespace stripped on both sides.
   */
  constructor(
    tokens: Iterable<string>,
    private readonly stripRules: ReadonlyMap<string, StripRule>,
  ) {
    this.tokens = new Set(tokens);
    for (const token of this.tokens) {
      if (token === "") continue;
      let node = this.root;
      for (const ch of token) {
        let child = node.children.get(ch);
        if (!child) node.children.set(ch, (child = newNode()));
        node = child;
      }
      node.terminal = true;
    }
  }

  /** The text cut at no-split tokens, neighbouring whitespace stripped, empty texts dropped. */
  split(text: string): TextPart[] {
    const parts = this.trieSplit(text);
    parts.forEach((part, i) => {
      if (!this.tokens.has(part)) return;
      const rule = this.stripRules.get(part) ?? { lstrip: true, rstrip: true };
      const left = i > 0 ? parts[i - 1] : undefined;
      const right = i < parts.length - 1 ? parts[i + 1] : undefined;
      if (rule.rstrip && right) parts[i + 1] = pythonLstrip(right);
      if (rule.lstrip && left) parts[i - 1] = pythonRstrip(left);
    });
    return parts.filter((p) => p !== "").map((p) => ({ text: p, isToken: this.tokens.has(p) }));
  }

  /**
   * `Trie.split` of transformers 4.31: a single left-to-right pass that tracks every partial match
   * by its start; when one completes, a lookahead from each partial match that started no later
   * takes the longest token, and tracking restarts after it.
   */
  trieSplit(text: string): string[] {
    const chars = Array.from(text);
    let states = new Map<number, TrieNode>();
    const offsets = [0];
    let skip = 0;
    for (let current = 0; current < chars.length; current++) {
      if (skip && current < skip) continue;
      const ch = chars[current]!;
      const toRemove: number[] = [];
      let reset = false;
      for (const [start, node] of states) {
        if (node.terminal) {
          // Python rebinds `start` and `end` inside this lookahead; mirrored by matchStart/end.
          let matchStart = start;
          let end = current;
          for (const [lookStart, lookNode] of states) {
            if (lookStart > matchStart) break;
            // Earlier partial matches were already advanced past `current` in this pass.
            let lookahead = lookStart < matchStart ? current + 1 : current;
            end = lookahead;
            let pointer = lookNode;
            if (pointer.terminal) [matchStart, end, skip] = [lookStart, lookahead, lookahead];
            let next = chars[lookahead];
            while (next !== undefined && pointer.children.has(next)) {
              pointer = pointer.children.get(next)!;
              lookahead++;
              if (pointer.terminal) [matchStart, end, skip] = [lookStart, lookahead, lookahead];
              if (lookahead === chars.length) break;
              next = chars[lookahead];
            }
          }
          offsets.push(matchStart, end);
          reset = true;
          break;
        }
        const child = node.children.get(ch);
        if (child) states.set(start, child);
        else toRemove.push(start);
      }
      if (reset) states = new Map();
      else for (const start of toRemove) states.delete(start);
      const first = this.root.children.get(ch);
      if (current >= skip && first) states.set(current, first);
    }
    for (const [start, node] of states) {
      if (node.terminal) {
        offsets.push(start, chars.length);
        break;
      }
    }
    return cut(chars, offsets);
  }
}

function cut(chars: readonly string[], offsets: number[]): string[] {
  offsets.push(chars.length);
  const parts: string[] = [];
  let start = 0;
  for (const end of offsets) {
    // start > end would be a Trie bug that transformers logs and skips; start === end is a
    // zero-width cut (a match at 0 or two adjacent matches).
    if (start >= end) continue;
    parts.push(chars.slice(start, end).join(""));
    start = end;
  }
  return parts;
}

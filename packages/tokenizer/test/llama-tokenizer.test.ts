/**
 * Known vectors for transformers 4.31.0's slow LlamaTokenizer rules on the tiny tokenizer. The
 * expected pieces are derived by hand from the rules (added tokens split out, whitespace next to
 * them stripped, each remaining text encoded with its own `▁` prefix) and the tiny vocabulary.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AddedTokenSplitter,
  LlamaTokenizer,
  TokenizerError,
  cleanUpTokenization,
  loadTokenizer,
} from "../src";
import type { LlamaTokenizerInfo } from "../src";
import { removeTempDirs, tinyTokenizerDir } from "./support";

let tokenizer: LlamaTokenizer;
let info: LlamaTokenizerInfo;
const SEG = (i: number): number => info.addedTokens[`[SEG${i}]`]!;

beforeAll(async () => {
  const tiny = await tinyTokenizerDir();
  info = tiny.info;
  tokenizer = await loadTokenizer(tiny.dir);
});

afterAll(removeTempDirs);

const pieces = (...names: string[]): number[] => names.map((n) => tokenizer.pieceToId(n));

describe("encoding around added tokens (transformers 4.31, legacy)", () => {
  it("drops the spaces between SEG tokens instead of encoding a lone ▁", () => {
    expect(tokenizer.encode("is [SEG0] [SEG1]")).toEqual([1, ...pieces("▁is"), SEG(0), SEG(1)]);
    expect(tokenizer.tokenize("is [SEG0] [SEG1]")).toEqual(["▁is", "[SEG0]", "[SEG1]"]);
  });

  it("strips the newline after <im_end> and gives the next word its own ▁ prefix", () => {
    expect(tokenizer.tokenize("<im_start><image><im_end>\nWhat")).toEqual([
      "<im_start>",
      ...tokenizer.vocabulary.encode("<image>").map((id) => tokenizer.idToPiece(id)),
      "<im_end>",
      "▁What",
    ]);
    // "<" and ">" are not in the tiny vocabulary: byte fallback inside the chunk.
    expect(tokenizer.tokenize("<image>")).toEqual(["▁", "<0x3C>", "i", "mage", "<0x3E>"]);
  });

  it("re-adds the dummy prefix to text glued to an added token", () => {
    expect(tokenizer.encode("[SEG0]is", { addSpecialTokens: false })).toEqual([SEG(0), ...pieces("▁is")]);
    expect(tokenizer.encode("is[SEG0]", { addSpecialTokens: false })).toEqual([...pieces("▁is"), SEG(0)]);
    expect(tokenizer.encode("[SEG0] is", { addSpecialTokens: false })).toEqual([SEG(0), ...pieces("▁is")]);
    expect(tokenizer.encode("is  [SEG0]  is", { addSpecialTokens: false })).toEqual([
      ...pieces("▁is"),
      SEG(0),
      ...pieces("▁is"),
    ]);
  });

  it("strips with Python's str.strip whitespace set, not JavaScript's trim", () => {
    const expected = [SEG(0), ...pieces("▁is")];
    expect(tokenizer.encode("[SEG0]\n\t is", { addSpecialTokens: false })).toEqual(expected);
    expect(tokenizer.encode("[SEG0]\u3000is", { addSpecialTokens: false })).toEqual(expected);
    // U+001C is whitespace for Python, not for String.prototype.trim.
    expect(tokenizer.encode("[SEG0]\x1cis", { addSpecialTokens: false })).toEqual(expected);
    // U+FEFF is whitespace for trim, not for Python: it stays and falls back to bytes.
    expect(tokenizer.tokenize("[SEG0]\ufeffis")).toEqual(["[SEG0]", "▁", "<0xEF>", "<0xBB>", "<0xBF>", "is"]);
  });

  it("treats <im_start>/<im_end> (added as special) like the SEG tokens", () => {
    const ids = (text: string): number[] => tokenizer.encode(text, { addSpecialTokens: false });
    expect(ids("USER: <im_start> What")).toEqual(ids("USER:<im_start>What"));
    expect(ids("USER: <im_start> What")).toEqual([...pieces("▁USER", ":", "<im_start>", "▁What")]);
  });

  it("does not strip around <s>, an AddedToken(lstrip=False, rstrip=False)", () => {
    // "a " → ▁a ▁ ; " b" → "▁▁b" → ▁ ▁b
    expect(tokenizer.encode("a <s> b")).toEqual([1, ...pieces("▁a", "▁", "<s>", "▁", "▁b")]);
  });

  it("tokenizes a SEG token alone to its own id (the chat.py lookup works in 4.31)", () => {
    for (let i = 0; i < 6; i++)
      expect(tokenizer.encode(`[SEG${i}]`, { addSpecialTokens: false })).toEqual([SEG(i)]);
  });

  it("prepends only <s> and keeps empty input empty", () => {
    expect(tokenizer.encode("")).toEqual([1]);
    expect(tokenizer.encode("   [SEG0]   ")).toEqual([1, SEG(0)]);
    expect(tokenizer.encode("Sure, it is [SEG0] [SEG1] [SEG2] [SEG3] [SEG4] [SEG5].")).toEqual([
      1,
      ...pieces("▁Sure", ",", "▁it", "▁is"),
      ...[0, 1, 2, 3, 4, 5].map(SEG),
      ...pieces("▁", "."),
    ]);
  });
});

describe("Trie.split semantics", () => {
  // Expected splits from transformers' own Trie docstring and tests.
  const split = (tokens: string[], text: string): string[] =>
    new AddedTokenSplitter(tokens, new Map()).trieSplit(text);

  it("matches the longest token first", () => {
    expect(split(["[CLS]", "extra_id_1", "extra_id_100"], "[CLS] This is a extra_id_100")).toEqual([
      "[CLS]",
      " This is a ",
      "extra_id_100",
    ]);
    expect(split(["AB", "B", "C"], "ABC")).toEqual(["AB", "C"]);
    expect(split(["ABC", "B", "CD"], "ABCD")).toEqual(["ABC", "D"]);
  });

  it("prefers the earliest start over a longer later match", () => {
    expect(split(["A", "P", "[SPECIAL]"], "This is something [SPECIAL]")).toEqual([
      "This is something ",
      "[SPECIAL]",
    ]);
    expect(split(["TOKEN]", "[SPECIAL]"], "This is something [SPECIAL]")).toEqual([
      "This is something ",
      "[SPECIAL]",
    ]);
    expect(split(["<s>", "<im_start>"], "<<s><im_start>")).toEqual(["<", "<s>", "<im_start>"]);
  });

  it("counts positions in code points", () => {
    expect(split(["[SEG0]"], "😀[SEG0]😀")).toEqual(["😀", "[SEG0]", "😀"]);
  });
});

describe("decode (transformers 4.31 slow _decode)", () => {
  const answer = (): number[] =>
    tokenizer.encode("Sure, the segmentation result of dog are [SEG0] [SEG1] [SEG2] [SEG3] [SEG4] [SEG5].", {
      addSpecialTokens: false,
    });

  it("joins added tokens with spaces and puts a space before </s>", () => {
    // convert_tokens_to_string([▁, ., </s>]) = " " + "." + "</s>"; joined to "[SEG5]" with " ".
    expect(tokenizer.decode([...answer(), 2])).toBe(
      "Sure, the segmentation result of dog are [SEG0] [SEG1] [SEG2] [SEG3] [SEG4] [SEG5]  .</s>",
    );
    expect(tokenizer.decode([1, ...answer(), 2])).toBe(
      "<s>Sure, the segmentation result of dog are [SEG0] [SEG1] [SEG2] [SEG3] [SEG4] [SEG5]  .</s>",
    );
  });

  it("skips <s>, </s> and <unk> but keeps SEG and <im_start> tokens with skipSpecialTokens", () => {
    expect(tokenizer.decode([1, ...answer(), 2, 0], { skipSpecialTokens: true })).toBe(
      "Sure, the segmentation result of dog are [SEG0] [SEG1] [SEG2] [SEG3] [SEG4] [SEG5] .",
    );
    const imStart = info.addedTokens["<im_start>"]!;
    expect(tokenizer.decode([imStart, ...pieces("▁What")], { skipSpecialTokens: true })).toBe(
      "<im_start> What",
    );
  });

  it("can join without spaces and clean up tokenization spaces", () => {
    expect(
      tokenizer.decode([...pieces("▁is"), SEG(0), SEG(1), ...pieces("▁is")], {
        spacesBetweenSpecialTokens: false,
      }),
    ).toBe("is[SEG0][SEG1]is");
    expect(cleanUpTokenization("a , b . c ? it 's")).toBe("a, b. c? it's");
    expect(tokenizer.decode([...answer(), 2], { cleanUpTokenizationSpaces: true })).toMatch(
      /\[SEG5\] \.<\/s>$/,
    );
  });

  it("decodes unknown and byte pieces like sentencepiece", () => {
    // <unk> is a special token, so convert_tokens_to_string keeps its text; sentencepiece alone
    // would print the unknown surface.
    expect(tokenizer.decode([...pieces("▁is"), 0])).toBe(" is<unk>");
    expect(tokenizer.vocabulary.decode([...pieces("▁is"), 0])).toBe("is \u2047 ");
    expect(tokenizer.decode(tokenizer.encode("日本 😀", { addSpecialTokens: false }))).toBe("日本 😀");
    // A lone continuation byte is malformed UTF-8: U+FFFD.
    expect(tokenizer.decode(pieces("▁is", "<0x80>", "<0xE6>", "<0x97>", "<0xA5>"))).toBe("is\uFFFD日");
  });

  it("round-trips plain text and text with SEG groups", () => {
    for (const text of [
      "Please segment the dog.",
      "Where is the red car?",
      "The apple [SEG0] [SEG1] [SEG2] [SEG3] [SEG4] [SEG5] and the pear [SEG0] [SEG1] [SEG2] [SEG3] [SEG4] [SEG5] are ripe.",
      "héllo wörld, 😀 ok",
    ]) {
      expect(tokenizer.decode(tokenizer.encode(text), { skipSpecialTokens: true })).toBe(text);
    }
    // Not an exact round trip: 4.31 joins an added token to its neighbours with a space.
    expect(tokenizer.decode(tokenizer.encode("is[SEG0]is"), { skipSpecialTokens: true })).toBe(
      "is [SEG0] is",
    );
  });

  it("rejects ids outside the vocabulary, such as the image placeholder", () => {
    expect(() => tokenizer.decode([5, -200])).toThrow(TokenizerError);
    expect(() => tokenizer.decode([5, -200])).toThrow(/token id -200 is outside/);
    expect(() => tokenizer.decode([info.vocabSize])).toThrow(/outside/);
  });
});

describe("lookups", () => {
  it("finds pieces and added tokens by name and rejects unknown names", () => {
    expect(tokenizer.pieceToId("<unk>")).toBe(0);
    expect(tokenizer.pieceToId("<0x00>")).toBe(3);
    expect(tokenizer.pieceToId("[SEG3]")).toBe(info.addedTokens["[SEG3]"]);
    expect(tokenizer.idToPiece(tokenizer.pieceToId("▁Sure"))).toBe("▁Sure");
    expect(() => tokenizer.pieceToId("▁Nonexistent")).toThrow(
      /neither a vocabulary piece nor an added token/,
    );
    expect(tokenizer.vocabSize).toBe(info.vocabSize);
    expect([tokenizer.bosId, tokenizer.eosId, tokenizer.unkId, tokenizer.padId]).toEqual([1, 2, 0, 0]);
  });

  it("refuses an added token that is already a vocabulary piece", () => {
    expect(
      () => new LlamaTokenizer({ vocabulary: tokenizer.vocabulary, addedTokens: ["[SEG0]", "▁Sure"] }),
    ).toThrow(/added token "▁Sure" is already in the vocabulary/);
  });
});

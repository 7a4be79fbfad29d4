import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenizerError, buildPrompt, loadTokenizer, readHfTokenizerJson, tokenizerImageToken } from "../src";
import type { LlamaTokenizer } from "../src";
import { TRICKY_STRINGS, emptyDir, removeTempDirs, seededRandom, tinyTokenizerDir } from "./support";

let fromModel: LlamaTokenizer;
let fromJson: LlamaTokenizer;
let jsonText: string;

beforeAll(async () => {
  const { dir } = await tinyTokenizerDir();
  const jsonOnly = await emptyDir();
  for (const file of ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]) {
    await copyFile(join(dir, file), join(jsonOnly, file));
  }
  fromModel = await loadTokenizer(dir);
  fromJson = await loadTokenizer(jsonOnly);
  jsonText = await readFile(join(dir, "tokenizer.json"), "utf8");
});

afterAll(removeTempDirs);

function withAddedTokens(): string[] {
  const random = seededRandom(3);
  const parts = [
    "Sure, it is",
    " [SEG0]",
    "[SEG1] ",
    " <im_start>",
    "<im_end>\n",
    "the dog.",
    "  ",
    "😀",
    "<s>",
    "é",
  ];
  return Array.from({ length: 100 }, () =>
    Array.from({ length: 1 + random(8) }, () => parts[random(parts.length)]!).join(""),
  );
}

describe("tokenizer.json", () => {
  it("loads the same vocabulary and added tokens as tokenizer.model + added_tokens.json", () => {
    expect(fromJson.vocabSize).toBe(fromModel.vocabSize);
    expect([...fromJson.addedTokens]).toEqual([...fromModel.addedTokens]);
    for (let id = 0; id < fromModel.vocabulary.size; id++) {
      expect(fromJson.vocabulary.idToPiece(id)).toBe(fromModel.vocabulary.idToPiece(id));
      expect(fromJson.vocabulary.pieceType(id)).toBe(fromModel.vocabulary.pieceType(id));
    }
  });

  it("encodes and decodes exactly like the tokenizer.model path", () => {
    const strings = [...TRICKY_STRINGS, ...withAddedTokens(), buildPrompt("Where is the red car?")];
    for (const text of strings) {
      const ids = fromModel.encode(text);
      expect(fromJson.encode(text)).toEqual(ids);
      expect(fromJson.decode(ids)).toBe(fromModel.decode(ids));
    }
    const prompt = buildPrompt("Please segment the dog.");
    expect(tokenizerImageToken(fromJson, prompt)).toEqual(tokenizerImageToken(fromModel, prompt));
  });

  it("ranks merges like tokenizers: the lower-ranked pair merges first", () => {
    const json = JSON.parse(jsonText) as { model: { merges: string[] } };
    const { bpe } = readHfTokenizerJson(JSON.stringify(json));
    const sure = bpe.encode("Sure");
    expect(sure).toEqual([bpe.pieceToId("▁Sure")]);
    // Without the merge that makes "▁Sure", the word stays split.
    json.model.merges = json.model.merges.filter((m) => m.replace(" ", "") !== "▁Sure");
    expect(readHfTokenizerJson(JSON.stringify(json)).bpe.encode("Sure")).not.toEqual(sure);
  });

  it("accepts merges written as pairs (newer tokenizers files)", () => {
    const json = JSON.parse(jsonText) as { model: { merges: (string | string[])[] } };
    json.model.merges = json.model.merges.map((m) => (m as string).split(" "));
    const { bpe } = readHfTokenizerJson(JSON.stringify(json));
    expect(bpe.encode("Please segment the dog.")).toEqual(
      fromModel.vocabulary.encode("Please segment the dog."),
    );
  });

  it("refuses files that are not LLaMA BPE tokenizers, with the reason", () => {
    const edit = (
      change: (j: Record<string, unknown> & { model: Record<string, unknown> }) => void,
    ): string => {
      const json = JSON.parse(jsonText) as Record<string, unknown> & { model: Record<string, unknown> };
      change(json);
      return JSON.stringify(json);
    };
    expect(() => readHfTokenizerJson("{ not json", "/x/tokenizer.json")).toThrow(
      /\/x\/tokenizer\.json is not valid JSON/,
    );
    expect(() => readHfTokenizerJson(edit((j) => (j.model.type = "Unigram")))).toThrow(
      /model\.type is "Unigram"; only BPE/,
    );
    expect(() => readHfTokenizerJson(edit((j) => (j.model.merges = ["▁ zzzqqq"])))).toThrow(
      /merge "▁ zzzqqq" uses a piece that is not in model\.vocab/,
    );
    expect(() => readHfTokenizerJson(edit((j) => (j.normalizer = null)))).toThrow(
      /expected LLaMA's whitespace handling/,
    );
    expect(() => readHfTokenizerJson(edit((j) => (j.normalizer = { type: "NFKC" })))).toThrow(
      /NFKC .*not LLaMA's/,
    );
    expect(() =>
      readHfTokenizerJson(
        edit((j) => {
          j.normalizer = null;
          j.pre_tokenizer = { type: "Metaspace", replacement: "▁", add_prefix_space: true };
        }),
      ),
    ).toThrow(/Metaspace pre_tokenizer that splits/);
    expect(() => readHfTokenizerJson(edit((j) => (j.model.vocab = { "<unk>": 0, a: 2 })))).toThrow(
      /has no piece with id 1/,
    );
  });

  it("accepts a non-splitting Metaspace pre-tokenizer in place of the normalizer", () => {
    const json = JSON.parse(jsonText) as Record<string, unknown>;
    json.normalizer = null;
    json.pre_tokenizer = { type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: false };
    const { bpe } = readHfTokenizerJson(JSON.stringify(json));
    expect(bpe.encode("Sure, it is")).toEqual(fromModel.vocabulary.encode("Sure, it is"));
  });

  it("is what loadTokenizer falls back to, and a broken one is reported by path", async () => {
    const dir = await emptyDir();
    await writeFile(join(dir, "tokenizer.json"), '{"model": {"type": "WordPiece"}}');
    await expect(loadTokenizer(dir)).rejects.toThrow(TokenizerError);
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json: model\.type is "WordPiece"/);
  });
});

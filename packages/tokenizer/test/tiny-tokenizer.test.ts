import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY_REQUIRED_PIECES, loadTokenizer, readSentencePieceModel } from "../src";
import type { LlamaTokenizerInfo } from "../src";
import { removeTempDirs, tinyTokenizerDir } from "./support";

let dir: string;
let info: LlamaTokenizerInfo;

beforeAll(async () => {
  ({ dir, info } = await tinyTokenizerDir());
});

afterAll(removeTempDirs);

describe("writeTinyTokenizer", () => {
  it("writes the five tokenizer files", async () => {
    expect((await readdir(dir)).sort()).toEqual([
      "added_tokens.json",
      "special_tokens_map.json",
      "tokenizer.json",
      "tokenizer.model",
      "tokenizer_config.json",
    ]);
  });

  it("lays the vocabulary out like LLaMA", async () => {
    const model = readSentencePieceModel(await readFile(join(dir, "tokenizer.model")));
    const { pieces } = model;
    expect(pieces.slice(0, 3)).toEqual([
      { piece: "<unk>", score: 0, type: "unknown" },
      { piece: "<s>", score: 0, type: "control" },
      { piece: "</s>", score: 0, type: "control" },
    ]);
    expect(pieces.slice(3, 259).map((p) => [p.piece, p.type])).toEqual(
      Array.from({ length: 256 }, (_, b) => [`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, "byte"]),
    );
    const normal = pieces.slice(259);
    expect(normal.every((p) => p.type === "normal")).toBe(true);
    expect(normal.every((p, i) => i === 0 || p.score < normal[i - 1]!.score)).toBe(true);
    expect(pieces.length).toBeGreaterThanOrEqual(400);
    expect(info.vocabSize).toBeLessThanOrEqual(1000);
    expect(info.vocabSize).toBe(pieces.length + 8);
    expect(model.trainerSpec).toMatchObject({
      modelType: "bpe",
      byteFallback: true,
      unkId: 0,
      bosId: 1,
      eosId: 2,
    });
    expect(model.normalizerSpec).toMatchObject({
      addDummyPrefix: true,
      removeExtraWhitespaces: false,
      escapeWhitespaces: true,
    });
  });

  it("contains the whole pieces a generated model needs, and encodes to them", async () => {
    const tokenizer = await loadTokenizer(dir);
    for (const piece of TINY_REQUIRED_PIECES)
      expect(tokenizer.idToPiece(tokenizer.pieceToId(piece))).toBe(piece);
    expect(tokenizer.tokenize("Sure, it is the apple and the pear:")).toEqual([
      "▁Sure",
      ",",
      "▁it",
      "▁is",
      "▁the",
      "▁apple",
      "▁and",
      "▁the",
      "▁pear",
      ":",
    ]);
  });

  it("adds the 8 PixelLM tokens after the base vocabulary in merge-script order", () => {
    const base = info.vocabSize - 8;
    expect(info.addedTokens).toEqual({
      "[SEG0]": base,
      "[SEG1]": base + 1,
      "[SEG2]": base + 2,
      "[SEG3]": base + 3,
      "[SEG4]": base + 4,
      "[SEG5]": base + 5,
      "<im_start>": base + 6,
      "<im_end>": base + 7,
    });
  });

  it("formats added_tokens.json like PixelLM-13B's (161 bytes there: 5-digit ids)", async () => {
    const text = await readFile(join(dir, "added_tokens.json"), "utf8");
    const id = (name: string): number => info.addedTokens[name]!;
    const seg = [0, 1, 2, 3, 4].map((i) => `  "[SEG${i}]": ${id(`[SEG${i}]`)},\n`).join("");
    expect(text).toBe(
      `{\n  "<im_end>": ${id("<im_end>")},\n  "<im_start>": ${id("<im_start>")},\n${seg}  "[SEG5]": ${id("[SEG5]")}\n}\n`,
    );
    // With the 13B ids (32000..32007) the same layout is exactly 161 bytes.
    const ids13b = text.replace(
      /: (\d+)/g,
      (_, d: string) => `: ${32000 + Number(d) - (info.vocabSize - 8)}`,
    );
    expect(Buffer.byteLength(ids13b)).toBe(161);
  });

  it("writes HF-loadable config files for a slow LlamaTokenizer", async () => {
    const config = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({
      tokenizer_class: "LlamaTokenizer",
      add_bos_token: true,
      add_eos_token: false,
      legacy: true,
    });
    const map = JSON.parse(await readFile(join(dir, "special_tokens_map.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(map.pad_token).toBe("<unk>");
  });

  it("is deterministic: a second run writes identical bytes", async () => {
    const second = await tinyTokenizerDir();
    for (const file of await readdir(dir)) {
      expect(Buffer.compare(await readFile(join(dir, file)), await readFile(join(second.dir, file)))).toBe(0);
    }
  });
});

/**
 * Independent cross-check against Python sentencepiece 0.1.97 (Debian python3-sentencepiece):
 * the generated tokenizer.model is loaded there and every chunk-level encode/decode must agree.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SentencePieceBpe,
  TokenizerError,
  buildPrompt,
  readSentencePieceModel,
  tinySentencePieceModel,
  writeSentencePieceModel,
} from "../src";
import type { SentencePieceModel } from "../src";
import { TRICKY_STRINGS, emptyDir, python, removeTempDirs, seededRandom } from "./support";

const ENCODE = `
import json, sys, sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
print(json.dumps([sp.encode(s) for s in json.load(sys.stdin)]))
`;
const DECODE = `
import json, sys, sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
print(json.dumps([sp.decode(ids) for ids in json.load(sys.stdin)]))
`;
const DESCRIBE = `
import json, sys, sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
n = sp.get_piece_size()
print(json.dumps({"size": n, "pieces": [sp.id_to_piece(i) for i in range(n)],
  "control": [i for i in range(n) if sp.is_control(i)], "byte": [i for i in range(n) if sp.is_byte(i)],
  "unk": sp.unk_id(), "bos": sp.bos_id(), "eos": sp.eos_id(), "pad": sp.pad_id()}))
`;
const LOADS = `
import json, sys, sentencepiece as spm
out = []
for path in json.load(sys.stdin):
  try:
    spm.SentencePieceProcessor(model_file=path); out.append("ok")
  except Exception as e:
    out.append(str(e))
print(json.dumps(out))
`;

/** A variant that exercises the other normaliser flags and no byte fallback. */
function plainVariant(model: SentencePieceModel): SentencePieceModel {
  return {
    pieces: model.pieces.filter((p) => p.type !== "byte"),
    trainerSpec: { ...model.trainerSpec, byteFallback: false },
    normalizerSpec: { ...model.normalizerSpec, addDummyPrefix: false, removeExtraWhitespaces: true },
  };
}

/** Corpus-like text: random words and punctuation from the tiny vocabulary's world. */
function randomSentences(count: number): string[] {
  const words = ["Sure", "the", "dog", "is", "and", "segment", "red car", "apple", "pear", "[SEG0]", "ok"];
  const glue = [" ", "  ", ", ", ". ", "\n", "", "? ", " 😀 ", "é", "\t"];
  const random = seededRandom(7);
  return Array.from({ length: count }, () =>
    Array.from(
      { length: 1 + random(12) },
      () => words[random(words.length)]! + glue[random(glue.length)]!,
    ).join(""),
  );
}

let dir: string;
const modelPath = (): string => join(dir, "tokenizer.model");
const plainPath = (): string => join(dir, "plain.model");
const main = new SentencePieceBpe(tinySentencePieceModel());
const plain = new SentencePieceBpe(plainVariant(tinySentencePieceModel()));

beforeAll(async () => {
  dir = await emptyDir();
  await writeFile(modelPath(), await writeSentencePieceModel(tinySentencePieceModel()));
  await writeFile(plainPath(), await writeSentencePieceModel(plainVariant(tinySentencePieceModel())));
});

afterAll(removeTempDirs);

describe("against Python sentencepiece", () => {
  const strings = [
    ...TRICKY_STRINGS,
    buildPrompt("Please segment the dog."),
    ...buildPrompt("What is in the image?").split("<image>"),
    ...randomSentences(200),
  ];

  it("sees the same vocabulary, piece types and special ids", () => {
    const described = python(DESCRIBE, [modelPath()], null) as {
      size: number;
      pieces: string[];
      control: number[];
      byte: number[];
      unk: number;
      bos: number;
      eos: number;
      pad: number;
    };
    expect(described.size).toBe(main.size);
    expect(described.pieces).toEqual(Array.from({ length: main.size }, (_, i) => main.idToPiece(i)));
    expect(described.control).toEqual([1, 2]);
    expect(described.byte).toEqual(Array.from({ length: 256 }, (_, i) => i + 3));
    expect([described.unk, described.bos, described.eos, described.pad]).toEqual([0, 1, 2, -1]);
  });

  it("encodes every string to the same ids (LLaMA normaliser, byte fallback)", () => {
    const expected = python(ENCODE, [modelPath()], strings) as number[][];
    expect(strings.map((s) => main.encode(s))).toEqual(expected);
    // The check must have covered byte fallback and multi-piece merges.
    expect(expected.flat().some((id) => id >= 3 && id <= 258)).toBe(true);
  });

  it("encodes the same with no byte fallback, no dummy prefix and extra-whitespace removal", () => {
    const expected = python(ENCODE, [plainPath()], strings) as number[][];
    expect(strings.map((s) => plain.encode(s))).toEqual(expected);
    expect(expected.flat()).toContain(0);
  });

  it("decodes the same text from random id sequences, malformed byte runs included", () => {
    const random = seededRandom(42);
    const interesting = [
      0,
      1,
      2,
      3 + 0x80,
      3 + 0xe6,
      3 + 0x97,
      3 + 0xa5,
      3 + 0xf0,
      3 + 0x9f,
      3 + 0x98,
      3 + 0x80,
    ];
    const sequences = Array.from({ length: 300 }, () =>
      Array.from({ length: random(14) }, () =>
        random(3) === 0 ? interesting[random(interesting.length)]! : random(main.size),
      ),
    );
    sequences.push([], [1, 2], [main.pieceToId("▁")!, main.pieceToId("▁")!], [1, main.pieceToId("▁Sure")!]);
    const expected = python(DECODE, [modelPath()], sequences) as string[];
    expect(sequences.map((ids) => main.decode(ids))).toEqual(expected);
    const plainIds = sequences.map((ids) => ids.filter((id) => id < plain.size));
    expect(plainIds.map((ids) => plain.decode(ids))).toEqual(python(DECODE, [plainPath()], plainIds));
  });

  it("breaks score ties leftmost, splits unused pieces and keeps user-defined pieces whole", async () => {
    const handmade: SentencePieceModel = {
      ...plainVariant(tinySentencePieceModel()),
      pieces: [
        { piece: "<unk>", score: 0, type: "unknown" },
        { piece: "<s>", score: 0, type: "control" },
        { piece: "</s>", score: 0, type: "control" },
        { piece: "<sep>", score: 0, type: "user-defined" },
        { piece: "ab", score: -0.5, type: "unused" },
        { piece: "ll", score: -1, type: "normal" },
        { piece: "▁a", score: -2, type: "normal" },
        { piece: "abc", score: -3, type: "normal" },
        ...["▁", "l", "a", "b", "c"].map((piece, i) => ({ piece, score: -10 - i, type: "normal" as const })),
      ],
    };
    const path = join(dir, "handmade.model");
    await writeFile(path, await writeSentencePieceModel(handmade));
    const texts = [
      "lll",
      "llll",
      "lllll",
      "l ll lll",
      "abc",
      "ab",
      "xab<sep>ll",
      "a<sep>b",
      "l<sep>",
      "ab abc",
      "xy z",
    ];
    const bpe = new SentencePieceBpe(readSentencePieceModel(await writeSentencePieceModel(handmade)));
    const expected = python(ENCODE, [path], texts) as number[][];
    expect(texts.map((t) => bpe.encode(t))).toEqual(expected);
    // Leftmost wins the tie between the two "ll" pairs of "lll".
    expect(bpe.encode("lll")).toEqual([5, 9]);
  });

  it("agrees on which malformed models are refused", async () => {
    const model = tinySentencePieceModel();
    const broken: Record<string, SentencePieceModel> = {
      duplicate: { ...model, pieces: [...model.pieces, model.pieces[400]!] },
      noUnk: { ...model, pieces: model.pieces.slice(1) },
      missingByte: { ...model, pieces: model.pieces.filter((p) => p.piece !== "<0x41>") },
    };
    const paths = await Promise.all(
      Object.entries(broken).map(async ([name, m]) => {
        const path = join(dir, `${name}.model`);
        await writeFile(path, await writeSentencePieceModel(m));
        return path;
      }),
    );
    const results = python(LOADS, [], [modelPath(), ...paths]) as string[];
    expect(results[0]).toBe("ok");
    expect(results.slice(1).every((r) => r !== "ok")).toBe(true);
    for (const m of Object.values(broken)) {
      const bytes = await writeSentencePieceModel(m);
      expect(() => readSentencePieceModel(bytes)).toThrow(TokenizerError);
    }
  });
});

/**
 * LLaMA-layout tokenizers trained here on a corpus (never downloaded): `<unk>`, `<s>`, `</s>`, the
 * 256 byte pieces, then the learned BPE pieces and the corpus characters with descending scores;
 * byte fallback and LLaMA's identity normaliser. PixelLM's 8 added tokens follow the base
 * vocabulary in the order the official merge script adds them (PixelLM-13B layout).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type BpeTrainingOptions, trainBpe } from "./bpe-trainer";
import { sentencePieceToHfTokenizerJson } from "./hf-tokenizer-json-writer";
import type { SentencePiece, SentencePieceModel } from "./sentencepiece-model";
import { byteToPiece, writeSentencePieceModel } from "./sentencepiece-model";

export const SEG_TOKENS = ["[SEG0]", "[SEG1]", "[SEG2]", "[SEG3]", "[SEG4]", "[SEG5]"] as const;

const ADDED_TOKENS: readonly { content: string; special: boolean }[] = [
  ...SEG_TOKENS.map((content) => ({ content, special: false })),
  { content: "<im_start>", special: true },
  { content: "<im_end>", special: true },
];

export interface LlamaTokenizerTraining extends BpeTrainingOptions {
  /** Pieces the model relies on; training must learn them whole. */
  readonly requiredPieces: readonly string[];
}

export interface LlamaTokenizerInfo {
  /** Base pieces plus added tokens (`len(tokenizer)`). */
  readonly vocabSize: number;
  readonly addedTokens: Readonly<Record<string, number>>;
}

export function trainLlamaSentencePieceModel(
  corpus: readonly string[],
  options: LlamaTokenizerTraining,
): SentencePieceModel {
  const { merges, characters } = trainBpe(corpus, options);
  const pieces: SentencePiece[] = [
    { piece: "<unk>", score: 0, type: "unknown" },
    { piece: "<s>", score: 0, type: "control" },
    { piece: "</s>", score: 0, type: "control" },
    ...Array.from({ length: 256 }, (_, b): SentencePiece => ({
      piece: byteToPiece(b),
      score: 0,
      type: "byte",
    })),
    ...[...merges, ...characters].map((piece, i): SentencePiece => ({
      piece,
      score: -(i + 1),
      type: "normal",
    })),
  ];
  const missing = options.requiredPieces.filter((p) => !pieces.some((q) => q.piece === p));
  if (missing.length > 0) throw new Error(`the tokenizer corpus did not produce pieces ${missing.join(" ")}`);
  return {
    pieces,
    trainerSpec: {
      modelType: "bpe",
      vocabSize: pieces.length,
      byteFallback: true,
      splitDigits: true,
      treatWhitespaceAsSuffix: false,
      unkId: 0,
      bosId: 1,
      eosId: 2,
      padId: -1,
      unkSurface: " \u2047 ",
    },
    normalizerSpec: {
      name: "identity",
      precompiledCharsmap: new Uint8Array(0),
      addDummyPrefix: true,
      removeExtraWhitespaces: false,
      escapeWhitespaces: true,
    },
  };
}

/** `json.dumps(value, indent=2, sort_keys=True) + "\n"`, as transformers 4.31 writes its JSON files. */
function pythonJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortKeys)
      : typeof v === "object" && v !== null
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, x]) => [k, sortKeys(x)]),
          )
        : v;
  return JSON.stringify(sortKeys(value), null, 2) + "\n";
}

const specialAddedToken = (content: string): Record<string, unknown> => ({
  content,
  lstrip: false,
  normalized: true,
  rstrip: false,
  single_word: false,
});

/**
 * Writes tokenizer.model, tokenizer.json, tokenizer_config.json, special_tokens_map.json and
 * added_tokens.json into `dir`, laid out as transformers 4.31 saves PixelLM's tokenizer.
 */
export async function writeLlamaTokenizer(
  dir: string,
  model: SentencePieceModel,
): Promise<LlamaTokenizerInfo> {
  const base = model.pieces.length;
  const addedTokens = Object.fromEntries(ADDED_TOKENS.map((t, i) => [t.content, base + i]));
  await mkdir(dir, { recursive: true });
  const config = {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: { __type: "AddedToken", ...specialAddedToken("<s>") },
    clean_up_tokenization_spaces: false,
    eos_token: { __type: "AddedToken", ...specialAddedToken("</s>") },
    legacy: true,
    model_max_length: 512,
    pad_token: null,
    padding_side: "right",
    sp_model_kwargs: {},
    tokenizer_class: "LlamaTokenizer",
    unk_token: { __type: "AddedToken", ...specialAddedToken("<unk>") },
  };
  // chat.py sets pad_token = unk_token (a plain string) before the checkpoint's tokenizer was saved.
  const specialTokensMap = {
    bos_token: specialAddedToken("<s>"),
    eos_token: specialAddedToken("</s>"),
    pad_token: "<unk>",
    unk_token: specialAddedToken("<unk>"),
  };
  await Promise.all([
    writeSentencePieceModel(model).then((bytes) => writeFile(join(dir, "tokenizer.model"), bytes)),
    writeFile(join(dir, "tokenizer.json"), sentencePieceToHfTokenizerJson(model, ADDED_TOKENS)),
    writeFile(join(dir, "tokenizer_config.json"), pythonJson(config)),
    writeFile(join(dir, "special_tokens_map.json"), pythonJson(specialTokensMap)),
    writeFile(join(dir, "added_tokens.json"), pythonJson(addedTokens)),
  ]);
  return { vocabSize: base + ADDED_TOKENS.length, addedTokens };
}

/** The tiny test tokenizer: a LLaMA-layout tokenizer trained on the built-in corpus. */
import {
  type LlamaTokenizerInfo,
  trainLlamaSentencePieceModel,
  writeLlamaTokenizer,
} from "./llama-layout-tokenizer";
import type { SentencePieceModel } from "./sentencepiece-model";
import { tinyCorpus } from "./tiny-corpus";

/** Pieces a generated test model relies on; training must learn them whole. */
export const TINY_REQUIRED_PIECES = ["▁Sure", ",", "▁it", "▁is", ".", ":", "▁the", "▁and"] as const;

let cachedModel: SentencePieceModel | undefined;

/** The tiny sentencepiece model (trained once per process). */
export function tinySentencePieceModel(): SentencePieceModel {
  cachedModel ??= trainLlamaSentencePieceModel(tinyCorpus(), {
    maxMerges: 420,
    maxPieceLength: 16,
    requiredPieces: TINY_REQUIRED_PIECES,
  });
  return cachedModel;
}

/** The tiny tokenizer's files in `dir`. */
export function writeTinyTokenizer(dir: string): Promise<LlamaTokenizerInfo> {
  return writeLlamaTokenizer(dir, tinySentencePieceModel());
}

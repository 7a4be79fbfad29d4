import type { PieceType } from "./sentencepiece-model";

/**
 * A base (sentencepiece-level) vocabulary: what `LlamaTokenizer.sp_model` is to transformers.
 * Ids are dense, 0..size-1. Added tokens live above it, in the tokenizer.
 */
export interface Vocabulary {
  readonly size: number;
  readonly unkId: number;
  /** Throws TokenizerError for an id outside 0..size-1. */
  idToPiece(id: number): string;
  pieceToId(piece: string): number | undefined;
  pieceType(id: number): PieceType;
  /** sentencepiece `encode(text)` of one chunk: normalisation, dummy prefix, BPE, byte fallback. */
  encode(text: string): number[];
  /** sentencepiece `decode(ids)`. */
  decode(ids: readonly number[]): string;
}

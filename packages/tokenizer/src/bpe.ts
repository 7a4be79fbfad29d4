/**
 * sentencepiece BPE encoding (google/sentencepiece v0.1.97 src/bpe_model.cc `Model::SampleEncode`
 * without dropout, and the unknown/byte-fallback handling of `PopulateSentencePieceText` in
 * src/sentencepiece_processor.cc).
 *
 * The normalised text is split into characters (user-defined pieces stay whole and never merge);
 * then, repeatedly, the adjacent pair whose concatenation is a piece with the highest score is
 * merged, the leftmost pair winning ties. Unused pieces are split back into the pair that formed
 * them. A final symbol that is not a piece is unknown: with byte fallback it becomes the `<0xXX>`
 * pieces of its UTF-8 bytes, otherwise consecutive unknown symbols become a single `<unk>`.
 */
import { TokenizerError } from "./errors";
import { Heap } from "./heap";
import { normalize } from "./normalizer";
import { decodePieces } from "./piece-decoder";
import type { PieceType, SentencePieceModel } from "./sentencepiece-model";
import { byteToPiece } from "./sentencepiece-model";
import type { Vocabulary } from "./vocabulary";

interface Symbol {
  piece: string;
  prev: number;
  next: number;
  readonly freeze: boolean;
}

interface SymbolPair {
  readonly left: number;
  readonly right: number;
  readonly score: number;
  readonly size: number;
}

const pairBefore = (a: SymbolPair, b: SymbolPair): boolean =>
  a.score > b.score || (a.score === b.score && a.left < b.left);

const utf8 = new TextEncoder();

export class SentencePieceBpe implements Vocabulary {
  readonly unkId: number;
  /** NORMAL, USER_DEFINED and UNUSED pieces: the ones merges may produce (`pieces_`). */
  private readonly mergeable = new Map<string, number>();
  /** UNKNOWN, CONTROL and BYTE pieces (`reserved_id_map_`). */
  private readonly reserved = new Map<string, number>();
  /** Longest first, for the prefix match that keeps user-defined pieces whole. */
  private readonly userDefined: string[] = [];

  constructor(readonly model: SentencePieceModel) {
    model.pieces.forEach(({ piece, type }, id) => {
      const isMergeable = type === "normal" || type === "user-defined" || type === "unused";
      (isMergeable ? this.mergeable : this.reserved).set(piece, id);
      if (type === "user-defined") this.userDefined.push(piece);
    });
    this.userDefined.sort((a, b) => b.length - a.length);
    const unkId = model.pieces.findIndex((p) => p.type === "unknown");
    if (unkId < 0) throw new TokenizerError("sentencepiece model defines no <unk> piece");
    this.unkId = unkId;
  }

  get size(): number {
    return this.model.pieces.length;
  }

  idToPiece(id: number): string {
    return this.pieceAt(id).piece;
  }

  pieceType(id: number): PieceType {
    return this.pieceAt(id).type;
  }

  pieceToId(piece: string): number | undefined {
    return this.reserved.get(piece) ?? this.mergeable.get(piece);
  }

  encode(text: string): number[] {
    const normalized = normalize(text, this.model.normalizerSpec);
    if (normalized === "") return [];
    const pieces = this.mergeSymbols(this.splitCharacters(normalized));
    return this.toIds(pieces);
  }

  decode(ids: readonly number[]): string {
    const { normalizerSpec, trainerSpec } = this.model;
    return decodePieces(ids, this, {
      addDummyPrefix: normalizerSpec.addDummyPrefix,
      removeExtraWhitespaces: normalizerSpec.removeExtraWhitespaces,
      unkSurface: trainerSpec.unkSurface,
    });
  }

  private pieceAt(id: number): { piece: string; type: PieceType } {
    const piece = Number.isInteger(id) ? this.model.pieces[id] : undefined;
    if (piece === undefined) {
      throw new TokenizerError(`token id ${id} is outside the sentencepiece vocabulary 0..${this.size - 1}`);
    }
    return piece;
  }

  private splitCharacters(normalized: string): Symbol[] {
    const symbols: Symbol[] = [];
    for (let pos = 0; pos < normalized.length;) {
      const user = this.userDefined.find((p) => normalized.startsWith(p, pos));
      const piece = user ?? String.fromCodePoint(normalized.codePointAt(pos)!);
      pos += piece.length;
      const index = symbols.length;
      symbols.push({
        piece,
        prev: index - 1,
        next: pos < normalized.length ? index + 1 : -1,
        freeze: user !== undefined,
      });
    }
    return symbols;
  }

  /** The BPE main loop; returns the final pieces, unused pieces already split back. */
  private mergeSymbols(symbols: Symbol[]): string[] {
    const agenda = new Heap<SymbolPair>(pairBefore);
    const reverseMerge = new Map<string, readonly [string, string]>();
    const maybeAddPair = (left: number, right: number): void => {
      if (left < 0 || right < 0) return;
      const l = symbols[left]!;
      const r = symbols[right]!;
      if (l.freeze || r.freeze) return;
      const merged = l.piece + r.piece;
      const id = this.mergeable.get(merged);
      if (id === undefined) return;
      const { score, type } = this.model.pieces[id]!;
      agenda.push({ left, right, score, size: merged.length });
      if (type === "unused") reverseMerge.set(merged, [l.piece, r.piece]);
    };
    for (let i = 1; i < symbols.length; i++) maybeAddPair(i - 1, i);

    for (let top = agenda.pop(); top !== undefined; top = agenda.pop()) {
      const l = symbols[top.left]!;
      const r = symbols[top.right]!;
      // A stale pair: one side was merged away or grew since the pair was queued.
      if (l.piece === "" || r.piece === "" || l.piece.length + r.piece.length !== top.size) continue;
      l.piece += r.piece;
      l.next = r.next;
      if (r.next >= 0) symbols[r.next]!.prev = top.left;
      r.piece = "";
      maybeAddPair(l.prev, top.left);
      maybeAddPair(top.left, l.next);
    }

    const out: string[] = [];
    // Only unused pieces are in reverseMerge, so a hit is a piece to split back.
    const resegment = (piece: string): void => {
      const parts = reverseMerge.get(piece);
      if (parts === undefined) out.push(piece);
      else parts.forEach(resegment);
    };
    for (let i = 0; i !== -1; i = symbols[i]!.next) resegment(symbols[i]!.piece);
    return out;
  }

  private toIds(pieces: readonly string[]): number[] {
    const ids: number[] = [];
    const byteFallback = this.model.trainerSpec.byteFallback;
    let previousUnknown = false;
    for (const piece of pieces) {
      const id = this.pieceToId(piece) ?? this.unkId;
      const unknown = this.model.pieces[id]!.type === "unknown";
      if (unknown && byteFallback) {
        for (const byte of utf8.encode(piece)) ids.push(this.reserved.get(byteToPiece(byte))!);
      } else if (!(unknown && previousUnknown)) {
        ids.push(id);
      }
      previousUnknown = unknown;
    }
    return ids;
  }
}

/**
 * The BPE model of HF `tokenizers` 0.13.3 (tokenizers/src/models/bpe/model.rs `merge_word`,
 * word.rs `merge_all`): characters not in the vocabulary become `<0xXX>` byte tokens when byte
 * fallback is on (otherwise `<unk>`, consecutive ones fused), then the adjacent pair with the
 * lowest merge rank is merged, the leftmost winning ties.
 *
 * For a LLaMA tokenizer.json converted from tokenizer.model (merges = every pair of pieces whose
 * concatenation is a piece, ordered by that piece's score) this gives sentencepiece's ids. The two
 * differ only where two different pairs that overlap form the same piece, e.g. `a`+`aa` and `aa`+`a`
 * in "aaaa": sentencepiece merges the leftmost, tokenizers the lower-ranked.
 */
import { Heap } from "./heap";
import { normalize } from "./normalizer";
import type { NormalizerOptions } from "./normalizer";
import { decodePieces } from "./piece-decoder";
import type { PieceType } from "./sentencepiece-model";
import { byteToPiece } from "./sentencepiece-model";
import { TokenizerError } from "./errors";
import type { Vocabulary } from "./vocabulary";

export interface HfBpeModel {
  /** Piece of each id, ids dense from 0. */
  readonly pieces: readonly string[];
  readonly types: readonly PieceType[];
  /** In rank order (first = merged first). */
  readonly merges: readonly (readonly [string, string])[];
  readonly byteFallback: boolean;
  readonly fuseUnk: boolean;
  readonly unkToken: string | undefined;
  readonly normalizer: NormalizerOptions;
}

interface Merge {
  readonly rank: number;
  readonly newId: number;
}

interface Symbol {
  id: number;
  prev: number;
  next: number;
  length: number;
}

interface QueuedMerge {
  readonly pos: number;
  readonly rank: number;
  readonly newId: number;
}

const mergeBefore = (a: QueuedMerge, b: QueuedMerge): boolean =>
  a.rank < b.rank || (a.rank === b.rank && a.pos < b.pos);

const utf8 = new TextEncoder();

export class HfBpe implements Vocabulary {
  readonly unkId: number;
  private readonly ids = new Map<string, number>();
  /** Key `${leftId} ${rightId}`. */
  private readonly merges = new Map<string, Merge>();

  constructor(
    readonly model: HfBpeModel,
    source = "tokenizer.json",
  ) {
    model.pieces.forEach((piece, id) => this.ids.set(piece, id));
    model.merges.forEach(([left, right], rank) => {
      const leftId = this.ids.get(left);
      const rightId = this.ids.get(right);
      const newId = this.ids.get(left + right);
      if (leftId === undefined || rightId === undefined || newId === undefined) {
        throw new TokenizerError(
          `${source}: merge "${left} ${right}" uses a piece that is not in model.vocab; the file is corrupt`,
        );
      }
      this.merges.set(`${leftId} ${rightId}`, { rank, newId });
    });
    const unkId = model.unkToken === undefined ? undefined : this.ids.get(model.unkToken);
    if (unkId === undefined) {
      throw new TokenizerError(`${source}: model.unk_token ${String(model.unkToken)} is not in model.vocab`);
    }
    this.unkId = unkId;
  }

  get size(): number {
    return this.model.pieces.length;
  }

  idToPiece(id: number): string {
    const piece = Number.isInteger(id) ? this.model.pieces[id] : undefined;
    if (piece === undefined) {
      throw new TokenizerError(`token id ${id} is outside the BPE vocabulary 0..${this.size - 1}`);
    }
    return piece;
  }

  pieceType(id: number): PieceType {
    this.idToPiece(id);
    return this.model.types[id]!;
  }

  pieceToId(piece: string): number | undefined {
    return this.ids.get(piece);
  }

  encode(text: string): number[] {
    const normalized = normalize(text, this.model.normalizer);
    if (normalized === "") return [];
    const symbols = this.initialSymbols(normalized);
    this.mergeAll(symbols);
    return symbols.filter((s) => s.length > 0).map((s) => s.id);
  }

  decode(ids: readonly number[]): string {
    return decodePieces(ids, this, {
      addDummyPrefix: this.model.normalizer.addDummyPrefix,
      removeExtraWhitespaces: this.model.normalizer.removeExtraWhitespaces,
      unkSurface: " \u2047 ",
    });
  }

  private initialSymbols(normalized: string): Symbol[] {
    const symbols: Symbol[] = [];
    const add = (id: number, length: number): void => {
      const last = symbols[symbols.length - 1];
      if (last) last.next = symbols.length;
      symbols.push({ id, prev: symbols.length - 1, next: -1, length });
    };
    let unk: { id: number; length: number } | undefined;
    for (const ch of normalized) {
      const id = this.ids.get(ch);
      const bytes = utf8.encode(ch);
      const length = bytes.byteLength;
      if (id !== undefined) {
        if (unk) add(unk.id, unk.length);
        unk = undefined;
        add(id, length);
        continue;
      }
      if (this.model.byteFallback) {
        const byteIds = [...bytes].map((b) => this.ids.get(byteToPiece(b)));
        if (byteIds.every((b) => b !== undefined)) {
          // Like tokenizers 0.13.3, a pending <unk> is not flushed before the byte tokens.
          byteIds.forEach((b) => add(b, 1));
          continue;
        }
      }
      if (unk && this.model.fuseUnk) unk = { id: unk.id, length: unk.length + length };
      else {
        if (unk) add(unk.id, unk.length);
        unk = { id: this.unkId, length };
      }
    }
    if (unk) add(unk.id, unk.length);
    return symbols;
  }

  private mergeAll(symbols: Symbol[]): void {
    const queue = new Heap<QueuedMerge>(mergeBefore);
    const queuePair = (pos: number, leftId: number, rightId: number): void => {
      const merge = this.merges.get(`${leftId} ${rightId}`);
      if (merge) queue.push({ pos, ...merge });
    };
    for (let i = 0; i + 1 < symbols.length; i++) queuePair(i, symbols[i]!.id, symbols[i + 1]!.id);
    for (let top = queue.pop(); top !== undefined; top = queue.pop()) {
      const current = symbols[top.pos]!;
      if (current.length === 0 || current.next === -1) continue;
      const right = symbols[current.next]!;
      // An expired entry: the pair at this position no longer produces the queued token.
      if (this.merges.get(`${current.id} ${right.id}`)?.newId !== top.newId) continue;
      current.id = top.newId;
      current.length += right.length;
      current.next = right.next;
      right.length = 0;
      if (right.next >= 0) symbols[right.next]!.prev = top.pos;
      if (current.prev >= 0) queuePair(current.prev, symbols[current.prev]!.id, current.id);
      if (current.next >= 0) queuePair(top.pos, current.id, symbols[current.next]!.id);
    }
  }
}

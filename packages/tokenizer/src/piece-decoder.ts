/**
 * sentencepiece's `Decode` of a piece sequence (google/sentencepiece v0.1.97
 * src/sentencepiece_processor.cc): control pieces vanish, `<unk>` becomes the unknown surface,
 * runs of byte pieces are decoded as UTF-8 (each malformed byte → U+FFFD), `▁` becomes a space,
 * and the first `▁` of the text (the dummy prefix) is dropped.
 */
import type { PieceType } from "./sentencepiece-model";
import { pieceToByte } from "./sentencepiece-model";
import { SPACE_SYMBOL } from "./text";

export interface PieceTable {
  idToPiece(id: number): string;
  pieceType(id: number): PieceType;
}

export interface PieceDecoderOptions {
  readonly addDummyPrefix: boolean;
  readonly removeExtraWhitespaces: boolean;
  readonly unkSurface: string;
}

export function decodePieces(
  ids: readonly number[],
  table: PieceTable,
  options: PieceDecoderOptions,
): string {
  let text = "";
  let pendingBytes: number[] = [];
  let isBosWhitespace = true;
  let bosWhitespaceSeen = false;
  const flushBytes = (): void => {
    text += decodeUtf8Like(pendingBytes);
    pendingBytes = [];
  };
  for (const id of ids) {
    const type = table.pieceType(id);
    const piece = table.idToPiece(id);
    if (type === "byte") {
      pendingBytes.push(pieceToByte(piece)!);
      continue;
    }
    flushBytes();
    if (bosWhitespaceSeen || text !== "") isBosWhitespace = false;
    bosWhitespaceSeen = false;
    if (type === "control") continue;
    if (type === "unknown") {
      text += options.unkSurface;
      continue;
    }
    let surface = piece;
    if (isBosWhitespace && (options.addDummyPrefix || options.removeExtraWhitespaces)) {
      if (surface.startsWith(SPACE_SYMBOL)) {
        surface = surface.slice(SPACE_SYMBOL.length);
        // With remove_extra_whitespaces every leading `▁` piece is consumed, not just the first.
        bosWhitespaceSeen = !options.removeExtraWhitespaces;
      }
    }
    text += surface.replaceAll(SPACE_SYMBOL, " ");
  }
  flushBytes();
  return text;
}

/**
 * UTF-8 decoding with sentencepiece's `DecodeUTF8` rules (src/util.cc): a malformed, overlong,
 * surrogate or out-of-range sequence yields U+FFFD for its first byte only, and decoding resumes
 * at the next byte.
 */
export function decodeUtf8Like(bytes: readonly number[]): string {
  let out = "";
  let i = 0;
  const trail = (k: number): boolean => i + k < bytes.length && (bytes[i + k]! & 0xc0) === 0x80;
  const valid = (cp: number): boolean => cp < 0xd800 || (cp >= 0xe000 && cp <= 0x10ffff);
  while (i < bytes.length) {
    const b0 = bytes[i]!;
    let cp = -1;
    let length = 1;
    if (b0 < 0x80) {
      cp = b0;
    } else if ((b0 & 0xe0) === 0xc0 && trail(1)) {
      const c = ((b0 & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
      if (c >= 0x80) [cp, length] = [c, 2];
    } else if ((b0 & 0xf0) === 0xe0 && trail(1) && trail(2)) {
      const c = ((b0 & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
      if (c >= 0x800 && valid(c)) [cp, length] = [c, 3];
    } else if ((b0 & 0xf8) === 0xf0 && trail(1) && trail(2) && trail(3)) {
      const c =
        ((b0 & 0x07) << 18) |
        ((bytes[i + 1]! & 0x3f) << 12) |
        ((bytes[i + 2]! & 0x3f) << 6) |
        (bytes[i + 3]! & 0x3f);
      if (c >= 0x10000 && valid(c)) [cp, length] = [c, 4];
    }
    out += cp < 0 ? "\uFFFD" : String.fromCodePoint(cp);
    i += cp < 0 ? 1 : length;
  }
  return out;
}

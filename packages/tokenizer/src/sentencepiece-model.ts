/**
 * SentencePiece `ModelProto` (tokenizer.model) reading and writing.
 *
 * Field numbers follow google/sentencepiece `src/sentencepiece_model.proto` (v0.1.97). The checks on
 * read are the ones `ModelInterface::InitializePieces` (src/model_interface.cc) makes before the C++
 * library accepts a model, plus refusals for the features this package does not implement.
 */
import {
  ProtoDecodeError,
  ProtoMessage,
  fieldBytes,
  fieldFloat,
  fieldNumber,
  fieldString,
  readFields,
} from "@pixellm/protobuf";
import type { ProtoField } from "@pixellm/protobuf";
import { TokenizerError } from "./errors";

export type PieceType = "normal" | "unknown" | "control" | "user-defined" | "unused" | "byte";

const PIECE_TYPE_BY_NUMBER: Readonly<Record<number, PieceType>> = {
  1: "normal",
  2: "unknown",
  3: "control",
  4: "user-defined",
  5: "unused",
  6: "byte",
};

const PIECE_TYPE_NUMBER: Readonly<Record<PieceType, number>> = {
  normal: 1,
  unknown: 2,
  control: 3,
  "user-defined": 4,
  unused: 5,
  byte: 6,
};

export type ModelType = "unigram" | "bpe" | "word" | "char";

const MODEL_TYPE_BY_NUMBER: Readonly<Record<number, ModelType>> = {
  1: "unigram",
  2: "bpe",
  3: "word",
  4: "char",
};
const MODEL_TYPE_NUMBER: Readonly<Record<ModelType, number>> = { unigram: 1, bpe: 2, word: 3, char: 4 };

export interface SentencePiece {
  readonly piece: string;
  /** float32 in the file; larger merges first in BPE. */
  readonly score: number;
  readonly type: PieceType;
}

export interface TrainerSpec {
  readonly modelType: ModelType;
  readonly vocabSize: number;
  readonly byteFallback: boolean;
  readonly splitDigits: boolean;
  readonly treatWhitespaceAsSuffix: boolean;
  readonly unkId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  /** What `<unk>` decodes to. */
  readonly unkSurface: string;
}

export interface NormalizerSpec {
  readonly name: string;
  readonly precompiledCharsmap: Uint8Array;
  readonly addDummyPrefix: boolean;
  readonly removeExtraWhitespaces: boolean;
  readonly escapeWhitespaces: boolean;
}

export interface SentencePieceModel {
  readonly pieces: readonly SentencePiece[];
  readonly trainerSpec: TrainerSpec;
  readonly normalizerSpec: NormalizerSpec;
}

/** Proto2 defaults from sentencepiece_model.proto (note: model_type defaults to UNIGRAM). */
const DEFAULT_TRAINER_SPEC: TrainerSpec = {
  modelType: "unigram",
  vocabSize: 8000,
  byteFallback: false,
  splitDigits: false,
  treatWhitespaceAsSuffix: false,
  unkId: 0,
  bosId: 1,
  eosId: 2,
  padId: -1,
  unkSurface: " \u2047 ",
};

const DEFAULT_NORMALIZER_SPEC: NormalizerSpec = {
  name: "",
  precompiledCharsmap: new Uint8Array(0),
  addDummyPrefix: true,
  removeExtraWhitespaces: true,
  escapeWhitespaces: true,
};

const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/;

/** The byte a `<0xXX>` piece stands for, or undefined for any other piece. */
export function pieceToByte(piece: string): number | undefined {
  const match = BYTE_PIECE.exec(piece);
  return match ? parseInt(match[1]!, 16) : undefined;
}

export function byteToPiece(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
}

/**
 * Parses and validates tokenizer.model bytes. `source` names the file in error messages.
 * Throws TokenizerError for malformed protobuf, models the C++ library would reject, and
 * models this package cannot encode exactly (non-BPE, custom normalization rules).
 */
export function readSentencePieceModel(bytes: Uint8Array, source = "tokenizer.model"): SentencePieceModel {
  let model: SentencePieceModel;
  try {
    model = decodeModelProto(bytes);
  } catch (error) {
    // TypeError: a piece that is not UTF-8 (the reader's TextDecoder is fatal).
    if (error instanceof ProtoDecodeError || error instanceof TypeError) {
      throw new TokenizerError(
        `${source} is not a SentencePiece model (protobuf decoding failed: ${error.message}); ` +
          "pass the tokenizer.model shipped with the checkpoint",
      );
    }
    throw error;
  }
  validateModel(model, source);
  return model;
}

function decodeModelProto(bytes: Uint8Array): SentencePieceModel {
  const pieces: SentencePiece[] = [];
  let trainerSpec = DEFAULT_TRAINER_SPEC;
  let normalizerSpec = DEFAULT_NORMALIZER_SPEC;
  for (const f of readFields(bytes)) {
    if (f.field === 1) pieces.push(decodePiece(fieldBytes(f)));
    else if (f.field === 2) trainerSpec = decodeTrainerSpec(fieldBytes(f));
    else if (f.field === 3) normalizerSpec = decodeNormalizerSpec(fieldBytes(f));
    // self_test_data (4) does not change encoding; a denormalizer (5) would change decoding.
    else if (f.field === 5) assertIdentityDenormalizer(fieldBytes(f));
  }
  return { pieces, trainerSpec, normalizerSpec };
}

function decodePiece(bytes: Uint8Array): SentencePiece {
  let piece = "";
  let score = 0;
  let typeNumber = 1;
  for (const f of readFields(bytes)) {
    if (f.field === 1) piece = fieldString(f);
    else if (f.field === 2) score = fieldFloat(f);
    else if (f.field === 3) typeNumber = fieldNumber(f);
  }
  const type = PIECE_TYPE_BY_NUMBER[typeNumber];
  if (type === undefined) throw new ProtoDecodeError(`piece "${piece}" has unknown type ${typeNumber}`);
  return { piece, score, type };
}

function decodeTrainerSpec(bytes: Uint8Array): TrainerSpec {
  const spec: { -readonly [K in keyof TrainerSpec]: TrainerSpec[K] } = { ...DEFAULT_TRAINER_SPEC };
  for (const f of readFields(bytes)) {
    switch (f.field) {
      case 3: {
        const n = fieldNumber(f);
        const type = MODEL_TYPE_BY_NUMBER[n];
        if (type === undefined) throw new ProtoDecodeError(`unknown model_type ${n}`);
        spec.modelType = type;
        break;
      }
      case 4:
        spec.vocabSize = fieldNumber(f);
        break;
      case 24:
        spec.treatWhitespaceAsSuffix = fieldBool(f);
        break;
      case 25:
        spec.splitDigits = fieldBool(f);
        break;
      case 35:
        spec.byteFallback = fieldBool(f);
        break;
      case 40:
        spec.unkId = fieldInt32(f);
        break;
      case 41:
        spec.bosId = fieldInt32(f);
        break;
      case 42:
        spec.eosId = fieldInt32(f);
        break;
      case 43:
        spec.padId = fieldInt32(f);
        break;
      case 44:
        spec.unkSurface = fieldString(f);
        break;
    }
  }
  return spec;
}

function decodeNormalizerSpec(bytes: Uint8Array): NormalizerSpec {
  const spec: { -readonly [K in keyof NormalizerSpec]: NormalizerSpec[K] } = { ...DEFAULT_NORMALIZER_SPEC };
  for (const f of readFields(bytes)) {
    if (f.field === 1) spec.name = fieldString(f);
    else if (f.field === 2) spec.precompiledCharsmap = fieldBytes(f);
    else if (f.field === 3) spec.addDummyPrefix = fieldBool(f);
    else if (f.field === 4) spec.removeExtraWhitespaces = fieldBool(f);
    else if (f.field === 5) spec.escapeWhitespaces = fieldBool(f);
  }
  return spec;
}

function assertIdentityDenormalizer(bytes: Uint8Array): void {
  if (decodeNormalizerSpec(bytes).precompiledCharsmap.byteLength > 0) {
    throw new TokenizerError(
      "tokenizer.model has denormalization rules (denormalizer_spec.precompiled_charsmap); " +
        "only LLaMA-style models without them are supported",
    );
  }
}

function fieldBool(f: ProtoField): boolean {
  return fieldNumber(f) !== 0;
}

function fieldInt32(f: ProtoField): number {
  return fieldNumber(f) | 0;
}

function validateModel(model: SentencePieceModel, source: string): void {
  const { pieces, trainerSpec, normalizerSpec } = model;
  const reject = (problem: string): never => {
    throw new TokenizerError(`${source}: ${problem}`);
  };
  if (pieces.length === 0) reject("has no pieces; the file is empty or not a SentencePiece model");
  if (trainerSpec.modelType !== "bpe") {
    reject(
      `is a ${trainerSpec.modelType.toUpperCase()} model; only BPE models (LLaMA's tokenizer.model) are supported`,
    );
  }
  if (normalizerSpec.precompiledCharsmap.byteLength > 0) {
    reject(
      `uses normalization rules ("${normalizerSpec.name}" precompiled_charsmap); ` +
        "only the identity normalizer of LLaMA is supported",
    );
  }
  if (trainerSpec.treatWhitespaceAsSuffix) reject("sets treat_whitespace_as_suffix, which is not supported");
  // The same checks, in the same order, as ModelInterface::InitializePieces.
  const seen = new Set<string>();
  const bytesFound = new Set<number>();
  let unkCount = 0;
  pieces.forEach(({ piece, type }, id) => {
    if (piece === "") reject(`piece ${id} is empty; pieces must not be empty`);
    if (seen.has(piece)) reject(`piece "${piece}" (id ${id}) is already defined`);
    seen.add(piece);
    if (type === "unknown") unkCount++;
    if (type === "byte") {
      if (!trainerSpec.byteFallback) reject(`byte piece ${piece} is found although byte_fallback is false`);
      const byte = pieceToByte(piece);
      if (byte === undefined) reject(`byte piece "${piece}" (id ${id}) is invalid; expected <0x00>..<0xFF>`);
      else bytesFound.add(byte);
    }
  });
  if (unkCount === 0) reject("defines no unknown piece (<unk>)");
  if (unkCount > 1) reject("defines more than one unknown piece");
  if (trainerSpec.byteFallback && bytesFound.size !== 256) {
    reject(`has byte_fallback but only ${bytesFound.size} of the 256 byte pieces <0x00>..<0xFF>`);
  }
}

/** Serialises a model as tokenizer.model bytes (readable by sentencepiece and by readSentencePieceModel). */
export function writeSentencePieceModel(model: SentencePieceModel): Promise<Uint8Array> {
  const proto = new ProtoMessage();
  for (const { piece, score, type } of model.pieces) {
    const message = new ProtoMessage().string(1, piece).float(2, score);
    if (type !== "normal") message.varint(3, PIECE_TYPE_NUMBER[type]);
    proto.message(1, message);
  }
  const t = model.trainerSpec;
  proto.message(
    2,
    new ProtoMessage()
      .varint(3, MODEL_TYPE_NUMBER[t.modelType])
      .varint(4, t.vocabSize)
      .varint(24, t.treatWhitespaceAsSuffix)
      .varint(25, t.splitDigits)
      .varint(35, t.byteFallback)
      .varint(40, t.unkId)
      .varint(41, t.bosId)
      .varint(42, t.eosId)
      .varint(43, t.padId)
      .string(44, t.unkSurface),
  );
  const n = model.normalizerSpec;
  const normalizer = new ProtoMessage().string(1, n.name);
  if (n.precompiledCharsmap.byteLength > 0) normalizer.bytes(2, n.precompiledCharsmap);
  normalizer.varint(3, n.addDummyPrefix).varint(4, n.removeExtraWhitespaces).varint(5, n.escapeWhitespaces);
  proto.message(3, normalizer);
  return proto.toBytes();
}

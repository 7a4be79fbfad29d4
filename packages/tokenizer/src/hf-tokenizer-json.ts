/**
 * HF fast-tokenizer files (tokenizer.json) of LLaMA models: the BPE vocabulary, merges, byte
 * fallback and added tokens. Only what a LLaMA-style file contains is accepted; the whitespace
 * handling must be sentencepiece's (a `▁` dummy prefix and spaces as `▁`), either as the
 * `Prepend("▁")` + `Replace(" ", "▁")` normalizer that transformers 4.31 writes, or as a
 * `Metaspace` pre-tokenizer.
 */
import { TokenizerError } from "./errors";
import type { HfBpeModel } from "./hf-bpe";
import { HfBpe } from "./hf-bpe";
import type { JsonObject } from "./json";
import {
  expectArray,
  expectInteger,
  expectObject,
  expectString,
  isObject,
  optionalBoolean,
  parseJson,
} from "./json";
import type { NormalizerOptions } from "./normalizer";
import type { PieceType } from "./sentencepiece-model";
import { pieceToByte } from "./sentencepiece-model";
import { SPACE_SYMBOL } from "./text";

export interface HfAddedToken {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
}

export interface HfTokenizerJson {
  readonly bpe: HfBpe;
  /** Every `added_tokens` entry, in file order; ids below `bpe.size` are base pieces such as `<s>`. */
  readonly addedTokens: readonly HfAddedToken[];
}

export function readHfTokenizerJson(text: string, source = "tokenizer.json"): HfTokenizerJson {
  const root = expectObject(parseJson(text, source), source);
  const model = expectObject(root.model, `${source}: "model"`);
  if (model.type !== "BPE") {
    throw new TokenizerError(
      `${source}: model.type is ${JSON.stringify(model.type)}; only BPE (LLaMA) tokenizers are supported`,
    );
  }
  const addedTokens = readAddedTokens(root.added_tokens, source);
  const pieces = readVocab(model.vocab, source);
  const byteFallback = optionalBoolean(model.byte_fallback, false, `${source}: model.byte_fallback`);
  const unkToken =
    model.unk_token === null || model.unk_token === undefined
      ? undefined
      : expectString(model.unk_token, `${source}: model.unk_token`);
  const bpeModel: HfBpeModel = {
    pieces,
    types: pieceTypes(pieces, addedTokens, unkToken, byteFallback),
    merges: readMerges(model.merges, source),
    byteFallback,
    fuseUnk: optionalBoolean(model.fuse_unk, false, `${source}: model.fuse_unk`),
    unkToken,
    normalizer: readWhitespaceHandling(root, source),
  };
  if (model.continuing_subword_prefix != null || model.end_of_word_suffix != null) {
    throw new TokenizerError(
      `${source}: subword prefixes/suffixes are not used by LLaMA and are not supported`,
    );
  }
  return { bpe: new HfBpe(bpeModel, source), addedTokens };
}

function readVocab(value: unknown, source: string): string[] {
  const vocab = expectObject(value, `${source}: model.vocab`);
  const pieces: string[] = [];
  for (const [piece, rawId] of Object.entries(vocab)) {
    const id = expectInteger(rawId, `${source}: model.vocab["${piece}"]`);
    if (id < 0 || pieces[id] !== undefined) {
      throw new TokenizerError(`${source}: model.vocab id ${id} of "${piece}" is negative or used twice`);
    }
    pieces[id] = piece;
  }
  for (let id = 0; id < pieces.length; id++) {
    if (pieces[id] === undefined)
      throw new TokenizerError(`${source}: model.vocab has no piece with id ${id}`);
  }
  if (pieces.length === 0) throw new TokenizerError(`${source}: model.vocab is empty`);
  return pieces;
}

function readMerges(value: unknown, source: string): [string, string][] {
  return expectArray(value, `${source}: model.merges`).map((entry, i) => {
    const what = `${source}: model.merges[${i}]`;
    // "a b" (tokenizers < 0.20) or ["a", "b"] (newer files).
    const parts = typeof entry === "string" ? entry.split(" ") : expectArray(entry, what);
    if (parts.length !== 2) throw new TokenizerError(`${what} must name exactly two pieces`);
    return [expectString(parts[0], what), expectString(parts[1], what)];
  });
}

function readAddedTokens(value: unknown, source: string): HfAddedToken[] {
  if (value === undefined || value === null) return [];
  return expectArray(value, `${source}: added_tokens`).map((entry, i) => {
    const what = `${source}: added_tokens[${i}]`;
    const token = expectObject(entry, what);
    return {
      id: expectInteger(token.id, `${what}.id`),
      content: expectString(token.content, `${what}.content`),
      special: optionalBoolean(token.special, false, `${what}.special`),
      lstrip: optionalBoolean(token.lstrip, false, `${what}.lstrip`),
      rstrip: optionalBoolean(token.rstrip, false, `${what}.rstrip`),
    };
  });
}

function pieceTypes(
  pieces: readonly string[],
  addedTokens: readonly HfAddedToken[],
  unkToken: string | undefined,
  byteFallback: boolean,
): PieceType[] {
  const special = new Set(addedTokens.filter((t) => t.special).map((t) => t.id));
  return pieces.map((piece, id) => {
    if (piece === unkToken) return "unknown";
    if (special.has(id)) return "control";
    if (byteFallback && pieceToByte(piece) !== undefined) return "byte";
    return "normal";
  });
}

function readWhitespaceHandling(root: JsonObject, source: string): NormalizerOptions {
  const steps = flatten(root.normalizer, "normalizers");
  const preTokenizers = flatten(root.pre_tokenizer, "pretokenizers");
  const prepends = steps.some((s) => s.type === "Prepend" && s.prepend === SPACE_SYMBOL);
  const replacesSpaces = steps.some(
    (s) =>
      s.type === "Replace" && isObject(s.pattern) && s.pattern.String === " " && s.content === SPACE_SYMBOL,
  );
  const metaspace = preTokenizers.find((p) => p.type === "Metaspace" && p.replacement === SPACE_SYMBOL);
  if (metaspace !== undefined && metaspace.split !== false) {
    throw new TokenizerError(
      `${source}: a Metaspace pre_tokenizer that splits at ▁ cannot reproduce sentencepiece's BPE, ` +
        "which merges across runs of spaces; use the tokenizer.model instead",
    );
  }
  const metaspacePrepends =
    metaspace !== undefined && (metaspace.add_prefix_space === true || metaspace.prepend_scheme !== "never");
  const otherSteps = steps.filter((s) => s.type !== "Prepend" && s.type !== "Replace");
  if (otherSteps.length > 0 || preTokenizers.some((p) => p !== metaspace)) {
    throw new TokenizerError(
      `${source}: normalizer/pre_tokenizer ${otherSteps
        .concat(preTokenizers)
        .map((s) => String(s.type))
        .join(", ")} ` + "are not LLaMA's; only the sentencepiece-style ▁ handling is supported",
    );
  }
  if (!((prepends && replacesSpaces) || (metaspacePrepends && !prepends))) {
    throw new TokenizerError(
      `${source}: expected LLaMA's whitespace handling (normalizer Prepend("▁") + Replace(" ", "▁"), ` +
        "or a Metaspace pre_tokenizer that adds the ▁ prefix)",
    );
  }
  return { addDummyPrefix: true, removeExtraWhitespaces: false, escapeWhitespaces: true };
}

/** A component and, for a `Sequence`, its members. */
function flatten(value: unknown, listKey: string): JsonObject[] {
  if (value === undefined || value === null) return [];
  const component = expectObject(value, "tokenizer.json normalizer/pre_tokenizer");
  if (component.type !== "Sequence") return [component];
  return expectArray(component[listKey], `tokenizer.json Sequence.${listKey}`).flatMap((c) =>
    flatten(c, listKey),
  );
}

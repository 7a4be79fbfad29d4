/**
 * Loading a checkpoint's tokenizer directory the way `AutoTokenizer.from_pretrained(dir,
 * use_fast=False)` of transformers 4.31 does for LLaMA: tokenizer.model (the sentencepiece model),
 * added_tokens.json (added tokens, ids consecutive after the base vocabulary),
 * tokenizer_config.json (init arguments) and special_tokens_map.json (overrides the special
 * tokens after init). Without tokenizer.model, the BPE vocabulary and merges of tokenizer.json
 * are used instead, with the same slow-tokenizer rules on top.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SentencePieceBpe } from "./bpe";
import { TokenizerError } from "./errors";
import { readHfTokenizerJson } from "./hf-tokenizer-json";
import type { JsonObject } from "./json";
import { expectArray, expectInteger, expectObject, isObject, optionalBoolean, parseJson } from "./json";
import { LlamaTokenizer, addedToken } from "./llama-tokenizer";
import type { SpecialToken } from "./llama-tokenizer";
import { readSentencePieceModel } from "./sentencepiece-model";
import type { Vocabulary } from "./vocabulary";

const SPECIAL_KEYS = ["bos_token", "eos_token", "unk_token", "pad_token"] as const;
type SpecialKey = (typeof SPECIAL_KEYS)[number];

export async function loadTokenizer(dir: string): Promise<LlamaTokenizer> {
  const configFile = join(dir, "tokenizer_config.json");
  const mapFile = join(dir, "special_tokens_map.json");
  const config = (await readJsonObject(configFile)) ?? {};
  const specialMap = (await readJsonObject(mapFile)) ?? {};
  checkConfig(config, configFile);

  const modelFile = join(dir, "tokenizer.model");
  const jsonFile = join(dir, "tokenizer.json");
  const modelBytes = await readOptional(modelFile);
  let vocabulary: Vocabulary;
  let jsonAddedTokens: readonly { id: number; content: string }[] = [];
  if (modelBytes) {
    vocabulary = new SentencePieceBpe(readSentencePieceModel(modelBytes, modelFile));
  } else {
    const jsonBytes = await readOptional(jsonFile);
    if (!jsonBytes) {
      throw new TokenizerError(
        `${dir} has neither tokenizer.model nor tokenizer.json; pass the checkpoint directory that holds the tokenizer files`,
      );
    }
    const parsed = readHfTokenizerJson(new TextDecoder().decode(jsonBytes), jsonFile);
    vocabulary = parsed.bpe;
    // tokenizer.json's lstrip/rstrip/special flags configure the fast tokenizer; the slow one
    // reloads added tokens as plain strings, so only their names and ids are taken.
    jsonAddedTokens = parsed.addedTokens.filter((t) => t.id >= parsed.bpe.size);
  }

  const addedFile = join(dir, "added_tokens.json");
  const addedJson = await readJsonObject(addedFile);
  const added = addedJson
    ? Object.entries(addedJson).map(([content, id]) => ({
        content,
        id: expectInteger(id, `${addedFile}: "${content}"`),
      }))
    : jsonAddedTokens;
  const specials = resolveSpecialTokens(config, configFile, specialMap, mapFile);
  return new LlamaTokenizer({
    vocabulary,
    addedTokens: orderAddedTokens(added, vocabulary.size, addedJson ? addedFile : jsonFile),
    bosToken: specials.bos_token,
    eosToken: specials.eos_token,
    unkToken: specials.unk_token,
    padToken: specials.pad_token,
    additionalSpecialTokens: specials.additional,
    addBosToken: optionalBoolean(config.add_bos_token, true, `${configFile}: add_bos_token`),
    addEosToken: optionalBoolean(config.add_eos_token, false, `${configFile}: add_eos_token`),
    cleanUpTokenizationSpaces: optionalBoolean(
      config.clean_up_tokenization_spaces,
      false,
      `${configFile}: clean_up_tokenization_spaces`,
    ),
  });
}

function checkConfig(config: JsonObject, file: string): void {
  const tokenizerClass = config.tokenizer_class;
  const isLlama = typeof tokenizerClass === "string" && /^LlamaTokenizer(Fast)?$/.test(tokenizerClass);
  if (tokenizerClass !== undefined && !isLlama) {
    throw new TokenizerError(
      `${file}: tokenizer_class ${JSON.stringify(tokenizerClass)} is not a LLaMA tokenizer`,
    );
  }
  if (config.legacy === false) {
    throw new TokenizerError(
      `${file}: legacy=false selects transformers' non-legacy ▁ handling, which PixelLM (transformers ` +
        "4.31, legacy=True) does not use; remove the setting or set it to true",
    );
  }
}

/** Added tokens sorted by id; like transformers 4.31, the ids must continue the vocabulary. */
function orderAddedTokens(
  tokens: readonly { content: string; id: number }[],
  baseSize: number,
  file: string,
): string[] {
  const sorted = [...tokens].sort((a, b) => a.id - b.id);
  sorted.forEach(({ content, id }, i) => {
    if (id !== baseSize + i) {
      throw new TokenizerError(
        `${file}: added token "${content}" has id ${id} but should have ${baseSize + i} ` +
          `(added tokens take consecutive ids after the ${baseSize} vocabulary pieces)`,
      );
    }
  });
  return sorted.map((t) => t.content);
}

interface ResolvedSpecials {
  bos_token: SpecialToken | null;
  eos_token: SpecialToken | null;
  unk_token: SpecialToken | null;
  pad_token: SpecialToken | null;
  additional: SpecialToken[];
}

/**
 * tokenizer_config.json values are LlamaTokenizer's init arguments: strings become
 * AddedToken(lstrip=False, rstrip=False). special_tokens_map.json is applied afterwards by
 * `setattr`, so a plain string there replaces the AddedToken with a plain string.
 */
function resolveSpecialTokens(
  config: JsonObject,
  configFile: string,
  specialMap: JsonObject,
  mapFile: string,
): ResolvedSpecials {
  const defaults: Record<SpecialKey, string | null> = {
    bos_token: "<s>",
    eos_token: "</s>",
    unk_token: "<unk>",
    pad_token: null,
  };
  const resolved: ResolvedSpecials = {
    bos_token: null,
    eos_token: null,
    unk_token: null,
    pad_token: null,
    additional: [],
  };
  for (const key of SPECIAL_KEYS) {
    resolved[key] =
      key in specialMap
        ? specialToken(specialMap[key], false, `${mapFile}: ${key}`)
        : specialToken(key in config ? config[key] : defaults[key], true, `${configFile}: ${key}`);
  }
  const [additional, file] =
    "additional_special_tokens" in specialMap
      ? [specialMap.additional_special_tokens, mapFile]
      : [config.additional_special_tokens, configFile];
  if (additional !== undefined && additional !== null) {
    const what = `${file}: additional_special_tokens`;
    resolved.additional = expectArray(additional, what).flatMap((t, i) => {
      const token = specialToken(t, false, `${what}[${i}]`);
      return token ? [token] : [];
    });
  }
  return resolved;
}

function specialToken(value: unknown, wrapStrings: boolean, what: string): SpecialToken | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") {
    return wrapStrings
      ? addedToken(value)
      : { content: value, addedToken: false, lstrip: true, rstrip: true };
  }
  if (isObject(value) && typeof value.content === "string") {
    return addedToken(
      value.content,
      optionalBoolean(value.lstrip, false, `${what}.lstrip`),
      optionalBoolean(value.rstrip, false, `${what}.rstrip`),
    );
  }
  throw new TokenizerError(`${what} must be a string or an AddedToken object with "content"`);
}

async function readOptional(file: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if (isNodeError(error) && error.code === "ENOENT") return undefined;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TokenizerError(`cannot read ${file}: ${reason}`);
  }
}

async function readJsonObject(file: string): Promise<JsonObject | undefined> {
  const bytes = await readOptional(file);
  if (!bytes) return undefined;
  return expectObject(parseJson(new TextDecoder().decode(bytes), file), file);
}

function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error;
}

/**
 * The slow `LlamaTokenizer` of transformers 4.31.0 (legacy=True) on top of a base vocabulary:
 * added tokens split out first (see added-tokens.ts for the whitespace rules), each remaining text
 * encoded by sentencepiece with its own dummy prefix, then `<s>` prepended.
 * Decoding follows `PreTrainedTokenizer._decode` + `LlamaTokenizer.convert_tokens_to_string`.
 */
import { AddedTokenSplitter } from "./added-tokens";
import type { StripRule } from "./added-tokens";
import { TokenizerError } from "./errors";
import type { Vocabulary } from "./vocabulary";

/** A special-token attribute (bos_token, …) as transformers holds it. */
export interface SpecialToken {
  readonly content: string;
  /**
   * True for an `AddedToken` object, whose lstrip/rstrip decide the stripping; false for a plain
   * string, which strips whitespace on both sides like any added token.
   */
  readonly addedToken: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
}

export interface LlamaTokenizerOptions {
  readonly vocabulary: Vocabulary;
  /** Added tokens in id order; the first gets id `vocabulary.size` (added_tokens.json order). */
  readonly addedTokens?: readonly string[];
  /** Defaults are LlamaTokenizer's: `<s>`, `</s>`, `<unk>` as AddedToken(lstrip=False, rstrip=False). */
  readonly bosToken?: SpecialToken | null;
  readonly eosToken?: SpecialToken | null;
  readonly unkToken?: SpecialToken | null;
  readonly padToken?: SpecialToken | null;
  readonly additionalSpecialTokens?: readonly SpecialToken[];
  readonly addBosToken?: boolean;
  readonly addEosToken?: boolean;
  readonly cleanUpTokenizationSpaces?: boolean;
}

export interface DecodeOptions {
  readonly skipSpecialTokens?: boolean;
  /** transformers' default is true: added tokens are joined to their neighbours with a space. */
  readonly spacesBetweenSpecialTokens?: boolean;
  readonly cleanUpTokenizationSpaces?: boolean;
}

export const addedToken = (content: string, lstrip = false, rstrip = false): SpecialToken => ({
  content,
  addedToken: true,
  lstrip,
  rstrip,
});

export class LlamaTokenizer {
  readonly vocabulary: Vocabulary;
  readonly addBosToken: boolean;
  readonly addEosToken: boolean;
  readonly cleanUpTokenizationSpaces: boolean;
  readonly bosToken: SpecialToken | null;
  readonly eosToken: SpecialToken | null;
  readonly unkToken: SpecialToken | null;
  readonly padToken: SpecialToken | null;
  readonly additionalSpecialTokens: readonly SpecialToken[];
  private readonly added = new Map<string, number>();
  private readonly addedById = new Map<number, string>();
  private readonly specialIds = new Set<number>();
  private readonly splitter: AddedTokenSplitter;

  constructor(options: LlamaTokenizerOptions) {
    this.vocabulary = options.vocabulary;
    this.addBosToken = options.addBosToken ?? true;
    this.addEosToken = options.addEosToken ?? false;
    this.cleanUpTokenizationSpaces = options.cleanUpTokenizationSpaces ?? false;
    this.bosToken = options.bosToken === undefined ? addedToken("<s>") : options.bosToken;
    this.eosToken = options.eosToken === undefined ? addedToken("</s>") : options.eosToken;
    this.unkToken = options.unkToken === undefined ? addedToken("<unk>") : options.unkToken;
    this.padToken = options.padToken ?? null;
    this.additionalSpecialTokens = options.additionalSpecialTokens ?? [];

    for (const token of options.addedTokens ?? []) {
      if (this.vocabulary.pieceToId(token) !== undefined || this.added.has(token)) {
        throw new TokenizerError(
          `added token "${token}" is already in the vocabulary; a slow tokenizer cannot add it again`,
        );
      }
      this.addToken(token);
    }
    // In the order of transformers' SPECIAL_TOKENS_ATTRIBUTES; a later AddedToken wins for stripping.
    const specials = [
      this.bosToken,
      this.eosToken,
      this.unkToken,
      this.padToken,
      ...this.additionalSpecialTokens,
    ].filter((t): t is SpecialToken => t !== null);
    const stripRules = new Map<string, StripRule>();
    for (const special of specials) {
      // `sanitize_special_tokens`: a special token missing from the vocabulary is added.
      if (this.tokenId(special.content) === undefined) this.addToken(special.content);
      this.specialIds.add(this.tokenId(special.content)!);
      if (special.addedToken) stripRules.set(special.content, special);
    }
    const noSplit = [...specials.map((s) => s.content), ...this.added.keys()];
    this.splitter = new AddedTokenSplitter(noSplit, stripRules);
  }

  /** `len(tokenizer)`: base vocabulary plus added tokens. */
  get vocabSize(): number {
    return this.vocabulary.size + this.added.size;
  }

  /** Added tokens by name, e.g. `[SEG0]` → 32000. */
  get addedTokens(): ReadonlyMap<string, number> {
    return this.added;
  }

  get bosId(): number | undefined {
    return this.bosToken ? this.tokenId(this.bosToken.content) : undefined;
  }

  get eosId(): number | undefined {
    return this.eosToken ? this.tokenId(this.eosToken.content) : undefined;
  }

  get unkId(): number {
    return this.vocabulary.unkId;
  }

  get padId(): number | undefined {
    return this.padToken ? this.tokenId(this.padToken.content) : undefined;
  }

  /** Id of a piece or added token, e.g. `pieceToId("▁Sure")`; throws for an unknown one. */
  pieceToId(piece: string): number {
    const id = this.tokenId(piece);
    if (id === undefined)
      throw new TokenizerError(`"${piece}" is neither a vocabulary piece nor an added token`);
    return id;
  }

  idToPiece(id: number): string {
    return this.addedById.get(id) ?? this.vocabulary.idToPiece(id);
  }

  isSpecialId(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** `tokenizer.tokenize(text)`: pieces and added tokens, without `<s>`. */
  tokenize(text: string): string[] {
    return this.encodeText(text).map((id) => this.idToPiece(id));
  }

  /** `tokenizer(text).input_ids`; `addSpecialTokens: false` leaves out `<s>` (and `</s>`). */
  encode(text: string, options: { readonly addSpecialTokens?: boolean } = {}): number[] {
    const ids = this.encodeText(text);
    if (options.addSpecialTokens === false) return ids;
    const bos = this.addBosToken && this.bosId !== undefined ? [this.bosId] : [];
    const eos = this.addEosToken && this.eosId !== undefined ? [this.eosId] : [];
    return [...bos, ...ids, ...eos];
  }

  /** `tokenizer.decode(ids, skip_special_tokens=…)` of transformers 4.31 (slow). */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const kept = options.skipSpecialTokens ? ids.filter((id) => !this.specialIds.has(id)) : ids;
    const texts: string[] = [];
    let run: number[] = [];
    for (const id of kept) {
      const added = this.addedById.get(id);
      if (added === undefined) {
        this.vocabulary.idToPiece(id); // rejects ids outside the vocabulary, as transformers does
        run.push(id);
        continue;
      }
      if (run.length > 0) texts.push(this.piecesToString(run));
      run = [];
      texts.push(added);
    }
    if (run.length > 0) texts.push(this.piecesToString(run));
    const text = texts.join(options.spacesBetweenSpecialTokens === false ? "" : " ");
    return (options.cleanUpTokenizationSpaces ?? this.cleanUpTokenizationSpaces)
      ? cleanUpTokenization(text)
      : text;
  }

  private encodeText(text: string): number[] {
    return this.splitter
      .split(text)
      .flatMap((part) =>
        part.isToken ? [this.tokenId(part.text) ?? this.unkId] : this.vocabulary.encode(part.text),
      );
  }

  private tokenId(token: string): number | undefined {
    return this.added.get(token) ?? this.vocabulary.pieceToId(token);
  }

  private addToken(token: string): void {
    const id = this.vocabSize;
    this.added.set(token, id);
    this.addedById.set(id, token);
  }

  /**
   * `LlamaTokenizer.convert_tokens_to_string` (4.31): special pieces (`<s>`, `</s>`) are kept
   * verbatim and the text before each is sentencepiece-decoded on its own, with one space put in
   * front of that text unless it starts the run or follows another special piece.
   */
  private piecesToString(ids: readonly number[]): string {
    let out = "";
    let current: number[] = [];
    let previousSpecial = false;
    ids.forEach((id, i) => {
      if (!this.specialIds.has(id)) {
        current.push(id);
        previousSpecial = false;
        return;
      }
      if (!previousSpecial && i !== 0) out += " ";
      out += this.vocabulary.decode(current) + this.vocabulary.idToPiece(id);
      previousSpecial = true;
      current = [];
    });
    return out + this.vocabulary.decode(current);
  }
}

/** `PreTrainedTokenizerBase.clean_up_tokenization` of transformers 4.31. */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(" .", ".")
    .replaceAll(" ?", "?")
    .replaceAll(" !", "!")
    .replaceAll(" ,", ",")
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

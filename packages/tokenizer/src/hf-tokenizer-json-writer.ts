/**
 * Writes a LLaMA-style tokenizer.json for a sentencepiece BPE model, laid out like the files that
 * transformers 4.31's `LlamaConverter` produces with tokenizers 0.13.3: the pieces as the BPE
 * vocabulary, every pair of normal pieces whose concatenation is a normal piece as a merge ranked
 * by that piece's score (ties in vocabulary order), `<unk>`/`<s>`/`</s>` and the checkpoint's
 * added tokens as `added_tokens`.
 */
import type { SentencePieceModel } from "./sentencepiece-model";
import { SPACE_SYMBOL } from "./text";

export interface AddedTokenEntry {
  readonly content: string;
  readonly special: boolean;
}

export function sentencePieceToHfTokenizerJson(
  model: SentencePieceModel,
  addedTokens: readonly AddedTokenEntry[],
): string {
  const { pieces } = model;
  const normalIds = new Map<string, number>();
  pieces.forEach(({ piece, type }, id) => {
    if (type === "normal") normalIds.set(piece, id);
  });
  const merges: { left: number; right: number; score: number }[] = [];
  for (const [piece, id] of normalIds) {
    const chars = Array.from(piece);
    for (let cut = 1; cut < chars.length; cut++) {
      const left = normalIds.get(chars.slice(0, cut).join(""));
      const right = normalIds.get(chars.slice(cut).join(""));
      if (left !== undefined && right !== undefined) merges.push({ left, right, score: pieces[id]!.score });
    }
  }
  merges.sort((a, b) => b.score - a.score || a.left - b.left || a.right - b.right);

  const vocab: Record<string, number> = {};
  pieces.forEach(({ piece }, id) => (vocab[piece] = id));
  const bos = pieces[model.trainerSpec.bosId]?.piece ?? "<s>";
  const unk = pieces.find((p) => p.type === "unknown")!.piece;
  const entry = (id: number, content: string, special: boolean): Record<string, unknown> => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: !special,
    special,
  });
  const json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [
      ...pieces.flatMap(({ piece, type }, id) =>
        type === "unknown" || type === "control" ? [entry(id, piece, true)] : [],
      ),
      ...addedTokens.map((t, i) => entry(pieces.length + i, t.content, t.special)),
    ],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "Prepend", prepend: SPACE_SYMBOL },
        { type: "Replace", pattern: { String: " " }, content: SPACE_SYMBOL },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: bos, type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: bos, type_id: 1 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { [bos]: { id: bos, ids: [model.trainerSpec.bosId], tokens: [bos] } },
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: SPACE_SYMBOL }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: model.trainerSpec.byteFallback,
      vocab,
      merges: merges.map((m) => `${pieces[m.left]!.piece} ${pieces[m.right]!.piece}`),
    },
  };
  return JSON.stringify(json, null, 2) + "\n";
}

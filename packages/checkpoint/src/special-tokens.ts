/**
 * Ids of the tokens PixelLM adds to LLaMA's vocabulary, looked up by name in added_tokens.json
 * (never by position: the 7B checkpoint also adds <im_patch>, so its ids differ from 13B's).
 */
import { CheckpointError } from "./errors";
import type { PixelLMConfig } from "./pixellm-config";
import { codebookSize } from "./pixellm-config";

export interface SpecialTokenIds {
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  readonly imStart: number;
  readonly imEnd: number;
  /** [SEG0] … [SEG{n-1}], in codebook order. */
  readonly seg: readonly number[];
}

export function codebookTokenNames(config: PixelLMConfig): string[] {
  return Array.from({ length: codebookSize(config) }, (_, i) => `[SEG${i}]`);
}

export function resolveSpecialTokens(
  addedTokens: Readonly<Record<string, unknown>>,
  config: PixelLMConfig,
  source: string,
): SpecialTokenIds {
  const id = (token: string): number => {
    const value = addedTokens[token];
    if (value === undefined) {
      throw new CheckpointError(
        "tokenizer",
        `${source} has no ${token}; PixelLM checkpoints add [SEG0]…[SEG5], <im_start> and <im_end>`,
      );
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= config.vocab_size) {
      throw new CheckpointError(
        "tokenizer",
        `${source}: ${token} has id ${JSON.stringify(value)}, outside the vocabulary of ${config.vocab_size}`,
      );
    }
    return value;
  };
  const seg = codebookTokenNames(config).map(id);
  const ids: SpecialTokenIds = {
    bos: config.bos_token_id,
    eos: config.eos_token_id,
    pad: config.pad_token_id,
    imStart: id("<im_start>"),
    imEnd: id("<im_end>"),
    seg,
  };
  const all = [...seg, ids.imStart, ids.imEnd];
  if (new Set(all).size !== all.length) {
    throw new CheckpointError(
      "tokenizer",
      `${source} gives two added tokens the same id (${all.join(", ")}); see PixelLM issue #23`,
    );
  }
  return ids;
}

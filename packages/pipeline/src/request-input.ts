/**
 * Turning a user's image and question into stage inputs, with the checks every entry point
 * shares (CLI, in-process engine, gateway): image decoding limits, the query's length and
 * reserved tokens, and prompt construction as chat.py does it.
 */
import {
  type DecodeLimits,
  ImageInputError,
  type RgbImage,
  decodeImage,
  preprocessForClip,
} from "@pixellm/image";
import type { HostTensor } from "@pixellm/tensor";
import { type LlamaTokenizer, buildPrompt, tokenizerImageToken } from "@pixellm/tokenizer";
import { EngineError } from "@pixellm/errors";

/** A decoded image and its CLIP input (what the vision stage takes). */
export interface PreparedImage {
  readonly image: RgbImage;
  /** float32[3,448,448]: normalised, zero-padded bottom/right. */
  readonly pixelValues: HostTensor<"float32">;
  /** [h', w'] of the resized image inside the canvas. */
  readonly resized: readonly [number, number];
  /** [H, W] of the decoded image. */
  readonly original: readonly [number, number];
}

/** Decodes and preprocesses an encoded image; bad input is an invalid_argument EngineError. */
export async function prepareImage(
  bytes: Uint8Array,
  limits: Partial<DecodeLimits> = {},
): Promise<PreparedImage> {
  try {
    const image = await decodeImage(bytes, limits);
    const clip = preprocessForClip(image);
    return { image, pixelValues: clip.pixelValues, resized: clip.resized, original: clip.original };
  } catch (error) {
    if (error instanceof ImageInputError) throw new EngineError("invalid_argument", error.message);
    throw error;
  }
}

export interface QueryLimits {
  /** Longest question in characters. */
  readonly maxQueryChars: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxQueryChars: 4000 };

/** Strings with a meaning to the model that a question may not smuggle in. */
export function reservedTokens(codebookTokens: readonly string[]): string[] {
  return ["<image>", "<im_start>", "<im_end>", "<s>", "</s>", ...codebookTokens];
}

/** The prompt ids for a question: the llava_v1 template, then `tokenizer_image_token`. */
export function promptIdsForQuery(
  tokenizer: LlamaTokenizer,
  query: string,
  codebookTokens: readonly string[],
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): number[] {
  if (!query.isWellFormed())
    throw new EngineError(
      "invalid_argument",
      "the query is not valid Unicode text (it holds a lone surrogate)",
    );
  const trimmed = query.trim();
  if (trimmed.length === 0)
    throw new EngineError("invalid_argument", "the query is empty; ask a question about the image");
  if (query.length > limits.maxQueryChars) {
    throw new EngineError(
      "invalid_argument",
      `the query has ${query.length} characters; the limit is ${limits.maxQueryChars}`,
    );
  }
  const reserved = reservedTokens(codebookTokens).find((token) => query.includes(token));
  if (reserved)
    throw new EngineError("invalid_argument", `the query may not contain the reserved token ${reserved}`);
  return tokenizerImageToken(tokenizer, buildPrompt(query));
}

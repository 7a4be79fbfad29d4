/**
 * PixelLM's single-turn prompt and its tokenisation, as in the official chat.py:
 * `conv_templates["llava_v1"]` (model/llava/conversation.py, SeparatorStyle.TWO, sep " ") with
 * `<image>` wrapped in `<im_start>`/`<im_end>`, then `tokenizer_image_token`
 * (model/llava/mm_utils.py).
 */
import type { LlamaTokenizer } from "./llama-tokenizer";

/** Stands for the 256 projected image embeddings in input ids (llava constants.py). */
export const IMAGE_TOKEN_INDEX = -200;
export const DEFAULT_IMAGE_TOKEN = "<image>";
export const DEFAULT_IM_START_TOKEN = "<im_start>";
export const DEFAULT_IM_END_TOKEN = "<im_end>";

export const LLAVA_V1_SYSTEM =
  "A chat between a curious human and an artificial intelligence assistant. " +
  "The assistant gives helpful, detailed, and polite answers to the human's questions.";

/**
 * `A chat between … USER: <im_start><image><im_end>\n{userText} ASSISTANT:`.
 * Like chat.py, every `<image>` (also one typed by the user) becomes `<im_start><image><im_end>`.
 */
export function buildPrompt(userText: string): string {
  const message = `${DEFAULT_IMAGE_TOKEN}\n${userText}`.replaceAll(
    DEFAULT_IMAGE_TOKEN,
    DEFAULT_IM_START_TOKEN + DEFAULT_IMAGE_TOKEN + DEFAULT_IM_END_TOKEN,
  );
  // get_prompt: system + sep, "USER: " + message + sep, then "ASSISTANT:" for the empty reply.
  return `${LLAVA_V1_SYSTEM} USER: ${message} ASSISTANT:`;
}

/**
 * `tokenizer_image_token`: each `<image>`-separated chunk is tokenised with `<s>`; the result is
 * `[<s>] + chunk1[1:] + [-200] + chunk2[1:] …`.
 */
export function tokenizerImageToken(tokenizer: LlamaTokenizer, prompt: string): number[] {
  const chunks = prompt.split(DEFAULT_IMAGE_TOKEN).map((chunk) => tokenizer.encode(chunk));
  const first = chunks[0]?.[0];
  const offset = first !== undefined && first === tokenizer.bosId ? 1 : 0;
  const ids = offset === 1 ? [first!] : [];
  chunks.forEach((chunk, i) => {
    if (i > 0) ids.push(IMAGE_TOKEN_INDEX);
    ids.push(...chunk.slice(offset));
  });
  return ids;
}

/**
 * The text chat.py prints for generated ids: image placeholders dropped,
 * `decode(skip_special_tokens=False)`, then every "\n" removed and "  " replaced by " ".
 */
export function decodeChatOutput(tokenizer: LlamaTokenizer, ids: readonly number[]): string {
  const text = tokenizer.decode(ids.filter((id) => id !== IMAGE_TOKEN_INDEX));
  return text.replaceAll("\n", "").replaceAll("  ", " ");
}

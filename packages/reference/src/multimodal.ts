/**
 * `prepare_inputs_labels_for_multimodal` for one sequence with one image: the -200 placeholder
 * is replaced by the 256 image embeddings, so the embedded length is len(ids) + 255; the mask
 * is the text mask around the image-token mask.
 */
import { ReferenceModelError } from "./errors";
import { embedTokens, type LlmWeights } from "./llm";

export const IMAGE_TOKEN_INDEX = -200;

export interface MultimodalInputs {
  /** [len(ids) + imageTokens − 1, H] */
  readonly embeds: Float32Array;
  /** 0/1, same length. */
  readonly mask: Uint8Array;
}

/** `textMask[i]` is the attention mask of ids[i] (ignored at the placeholder). */
export function spliceImage(
  llm: LlmWeights,
  ids: readonly number[],
  textMask: readonly number[],
  imageEmbeds: Float32Array,
  imageMask: Uint8Array,
): MultimodalInputs {
  const at = ids.indexOf(IMAGE_TOKEN_INDEX);
  if (at < 0 || ids.indexOf(IMAGE_TOKEN_INDEX, at + 1) >= 0) {
    throw new ReferenceModelError(
      "bad_input",
      `input ids must hold exactly one image placeholder ${IMAGE_TOKEN_INDEX} (tokenizer_image_token output)`,
    );
  }
  const h = llm.config.hidden_size;
  const image = imageMask.length;
  const before = ids.slice(0, at);
  const after = ids.slice(at + 1);
  const total = ids.length - 1 + image;
  const embeds = new Float32Array(total * h);
  embeds.set(embedTokens(llm, before), 0);
  embeds.set(imageEmbeds, at * h);
  embeds.set(embedTokens(llm, after), (at + image) * h);
  const mask = new Uint8Array(total);
  for (let i = 0; i < at; i++) mask[i] = textMask[i] ? 1 : 0;
  mask.set(imageMask, at);
  for (let i = 0; i < after.length; i++) mask[at + image + i] = textMask[at + 1 + i] ? 1 : 0;
  return { embeds, mask };
}

/**
 * How many masks an answer makes, and the cap on what they cost: every target is a mask at the
 * original image size, so targets × height × width is what the decoder computes, encodes and
 * sends, and what the result stores. The gateway applies the cap twice: at admission to
 * teacher-forced answer ids (their targets are known before any stage runs), and between the
 * LLM and the decoder to generated answers.
 */
import { EngineError } from "@pixellm/errors";
import { codebookPositions } from "./codebook";

/**
 * Targets of an answer with `codebookStates` codebook (SEG) states: one per whole group of
 * `codebookSize`. A count that is not a multiple makes none, as the reference's `evaluate`
 * zeroes the SEG mask (the answer's masks are dropped).
 */
export function maskTargets(codebookStates: number, codebookSize: number): number {
  return codebookStates % codebookSize === 0 ? codebookStates / codebookSize : 0;
}

/** The codebook states a full id sequence (prompt, then answer) yields (codebook.ts). */
export function codebookStateCount(ids: readonly number[], segIds: ReadonlySet<number>): number {
  // The count does not depend on where the image's embeddings shift the positions.
  return codebookPositions(ids, segIds, 0).length;
}

/**
 * Refuses (INVALID_ARGUMENT: the same request always names as many targets) `targets` masks of
 * `original` [H, W] beyond `maxMaskPixels`; `source` says who named them, for the message.
 */
export function checkMaskBudget(
  targets: number,
  original: readonly [number, number],
  maxMaskPixels: number,
  source: string,
): void {
  const [height, width] = original;
  const pixels = targets * height * width;
  if (pixels <= maxMaskPixels) return;
  const fit = Math.floor(maxMaskPixels / (height * width));
  throw new EngineError(
    "invalid_argument",
    `${source} ${targets} targets: ${targets} masks of ${width}x${height} are ${pixels} pixels, over the ` +
      `${maxMaskPixels} a request may make (GATEWAY_MAX_MASK_PIXELS); at this image size ${fit} fit: ` +
      `send a smaller image or ask for fewer targets`,
  );
}

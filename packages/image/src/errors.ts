/** Typed errors for images a user sent that we cannot (or will not) decode. */

export type ImageInputErrorCode =
  | "EMPTY_INPUT"
  | "INPUT_TOO_LARGE"
  | "UNSUPPORTED_FORMAT"
  | "CORRUPT_IMAGE"
  | "ZERO_DIMENSION"
  | "TOO_MANY_PIXELS"
  | "ANIMATED_IMAGE"
  | "IMAGE_TOO_THIN";

/** A user mistake, not a bug: the message names the problem and the limit or fix, without a stack. */
export class ImageInputError extends Error {
  override readonly name = "ImageInputError";

  constructor(
    readonly code: ImageInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}

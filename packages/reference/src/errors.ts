/**
 * Everything a caller can get wrong (weights, inputs) is a ReferenceModelError whose message
 * names the tensor or the input and what was expected.
 */
export type ReferenceModelErrorCode = "weight_shape" | "bad_input" | "seg_count";

export class ReferenceModelError extends Error {
  override name = "ReferenceModelError";
  constructor(
    readonly code: ReferenceModelErrorCode,
    message: string,
  ) {
    super(message);
  }
}

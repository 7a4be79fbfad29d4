/** A tokenizer file or input that cannot be used; the message names the file or value and the fix. */
export class TokenizerError extends Error {
  override name = "TokenizerError";
}

/**
 * Everything wrong with a checkpoint is a CheckpointError whose message names the file, the
 * tensor or the field, and says how to fix it; callers print the message, never a stack.
 */
export type CheckpointErrorCode =
  | "missing_file"
  | "invalid_json"
  | "broken_index"
  | "truncated_shard"
  | "invalid_header"
  | "unknown_dtype"
  | "missing_tensor"
  | "shape_mismatch"
  | "config_field"
  | "unsupported_format"
  | "unsafe_pickle"
  | "tokenizer";

export class CheckpointError extends Error {
  override name = "CheckpointError";
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// Original file: pixellm/v1/stages.proto

export const FinishReason = {
  FINISH_REASON_UNSPECIFIED: "FINISH_REASON_UNSPECIFIED",
  /**
   * </s> was generated.
   */
  FINISH_REASON_EOS: "FINISH_REASON_EOS",
  /**
   * max_new_tokens reached.
   */
  FINISH_REASON_LENGTH: "FINISH_REASON_LENGTH",
  /**
   * The model's context (max_position_embeddings) is full.
   */
  FINISH_REASON_MAX_CONTEXT: "FINISH_REASON_MAX_CONTEXT",
  /**
   * answer_ids were given.
   */
  FINISH_REASON_TEACHER_FORCED: "FINISH_REASON_TEACHER_FORCED",
} as const;

export type FinishReason =
  | "FINISH_REASON_UNSPECIFIED"
  | 0
  /**
   * </s> was generated.
   */
  | "FINISH_REASON_EOS"
  | 1
  /**
   * max_new_tokens reached.
   */
  | "FINISH_REASON_LENGTH"
  | 2
  /**
   * The model's context (max_position_embeddings) is full.
   */
  | "FINISH_REASON_MAX_CONTEXT"
  | 3
  /**
   * answer_ids were given.
   */
  | "FINISH_REASON_TEACHER_FORCED"
  | 4;

export type FinishReason__Output = (typeof FinishReason)[keyof typeof FinishReason];

// Original file: pixellm/v1/stages.proto

import type {
  TokenDelta as _pixellm_v1_TokenDelta,
  TokenDelta__Output as _pixellm_v1_TokenDelta__Output,
} from "../../pixellm/v1/TokenDelta";
import type {
  GenerationDone as _pixellm_v1_GenerationDone,
  GenerationDone__Output as _pixellm_v1_GenerationDone__Output,
} from "../../pixellm/v1/GenerationDone";

export interface GenerateResponse {
  /**
   * Ids chosen since the previous message.
   */
  tokens?: _pixellm_v1_TokenDelta | null;
  done?: _pixellm_v1_GenerationDone | null;
  event?: "tokens" | "done";
}

export interface GenerateResponse__Output {
  /**
   * Ids chosen since the previous message.
   */
  tokens?: _pixellm_v1_TokenDelta__Output | null;
  done?: _pixellm_v1_GenerationDone__Output | null;
  event?: "tokens" | "done";
}

// Original file: pixellm/v1/pixellm.proto

import type { Long } from "@grpc/proto-loader";

export interface TextDelta {
  /**
   * Text appended to the raw answer since the previous delta.
   */
  text?: string;
  ids?: (number | string | Long)[];
}

export interface TextDelta__Output {
  /**
   * Text appended to the raw answer since the previous delta.
   */
  text: string;
  ids: number[];
}

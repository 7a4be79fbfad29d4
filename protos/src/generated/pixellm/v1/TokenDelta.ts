// Original file: pixellm/v1/stages.proto

import type { Long } from "@grpc/proto-loader";

export interface TokenDelta {
  ids?: (number | string | Long)[];
}

export interface TokenDelta__Output {
  ids: number[];
}

// Original file: pixellm/v1/stages.proto

import type { Long } from "@grpc/proto-loader";

export interface Sampling {
  /**
   * 0 = greedy (the official decoding). Above 0: sample with this temperature.
   */
  temperature?: number | string;
  /**
   * Nucleus mass in (0,1]; 0 means 1.
   */
  topP?: number | string;
  seed?: number | string | Long;
}

export interface Sampling__Output {
  /**
   * 0 = greedy (the official decoding). Above 0: sample with this temperature.
   */
  temperature: number;
  /**
   * Nucleus mass in (0,1]; 0 means 1.
   */
  topP: number;
  seed: number;
}

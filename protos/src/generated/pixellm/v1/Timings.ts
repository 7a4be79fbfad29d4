// Original file: pixellm/v1/pixellm.proto

/**
 * Milliseconds spent per phase.
 */
export interface Timings {
  queuedMs?: number | string;
  visionMs?: number | string;
  generationMs?: number | string;
  firstTokenMs?: number | string;
  decoderMs?: number | string;
  totalMs?: number | string;
}

/**
 * Milliseconds spent per phase.
 */
export interface Timings__Output {
  queuedMs: number;
  visionMs: number;
  generationMs: number;
  firstTokenMs: number;
  decoderMs: number;
  totalMs: number;
}

/**
 * What the orchestrator needs from the three stages: gRPC clients over replicas in a
 * deployment, the engine's stage objects in the embedded mode. Calls honour the job's
 * absolute deadline and abort signal.
 */
import type { DecodeInput, FinishReason } from "@pixellm/engine";

export type { DecodeInput };
import type { RgbImage } from "@pixellm/image";

export interface StageCallContext {
  readonly requestId: string;
  /** Absolute deadline, ms since the epoch. */
  readonly deadline: number;
  readonly signal: AbortSignal;
}

export interface VisionResult {
  /** float32[256·H] */
  readonly imageEmbeds: Float32Array;
  /** uint8[256] */
  readonly imageMask: Uint8Array;
  /** float32[2·D·32·32] */
  readonly decoderFeatures: Float32Array;
}

export interface GenerationInput {
  readonly promptIds: readonly number[];
  readonly imageEmbeds: Float32Array;
  readonly imageMask: Uint8Array;
  readonly maxNewTokens: number;
  readonly answerIds?: readonly number[];
  readonly sampling?: { readonly temperature: number; readonly topP: number; readonly seed: number };
}

export interface GenerationOutcome {
  readonly outputIds: number[];
  readonly finishReason: FinishReason;
  /** float32[n·H] */
  readonly codebookHidden: Float32Array;
  readonly codebookCount: number;
  readonly firstTokenMs: number;
}

export interface DecodedMask {
  readonly mask: { readonly size: readonly [number, number]; readonly counts: string };
  readonly bbox: readonly number[];
  readonly area: number;
  readonly score: number;
}

export interface DecodeOutcome {
  readonly targets: readonly DecodedMask[];
  readonly dropped: boolean;
}

export interface StageClients {
  encode(resizedImage: RgbImage, context: StageCallContext): Promise<VisionResult>;
  /** `onTokens` receives each delta of new ids as they are generated. */
  generate(
    input: GenerationInput,
    context: StageCallContext,
    onTokens: (ids: readonly number[]) => void,
  ): Promise<GenerationOutcome>;
  decode(input: DecodeInput, context: StageCallContext): Promise<DecodeOutcome>;
  close(): Promise<void>;
}

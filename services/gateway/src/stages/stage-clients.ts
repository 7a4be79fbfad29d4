/**
 * What the orchestrator needs from the three stages: gRPC clients over replicas in a
 * deployment, the stages' runtimes in this process in the embedded mode. Both speak the stage
 * boundaries' own types (each service's protocol module); calls honour the job's absolute
 * deadline and abort signal.
 */
import type { DecodeInput, GenerationResult, VisionOutput } from "@pixellm/engine";
import type { RgbImage } from "@pixellm/image";
import type { GenerationInput } from "@pixellm/llm/protocol";
import type { DecodeOutcome } from "@pixellm/pixel-decoder/protocol";

export interface StageCallContext {
  readonly requestId: string;
  /** Absolute deadline, ms since the epoch. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  /**
   * Counts a crash of `stage` (its process died with this job's call in flight) in the job's own
   * state, shared by every gateway and execution of the job; resolves to the job's count so far.
   */
  readonly recordCrash?: (stage: string) => Promise<number>;
}

export interface StageClients {
  /**
   * The llm's KV budget per sequence as far as these clients know it now: the in-process llm's,
   * or the smallest of the remote replicas' (undefined until one has said).
   */
  kvBudgetTokens(): number | undefined;
  encode(resizedImage: RgbImage, context: StageCallContext): Promise<VisionOutput>;
  /** `onTokens` receives each delta of new ids as they are generated. */
  generate(
    input: GenerationInput,
    context: StageCallContext,
    onTokens: (ids: readonly number[]) => void,
  ): Promise<GenerationResult>;
  decode(input: DecodeInput, context: StageCallContext): Promise<DecodeOutcome>;
  close(): Promise<void>;
}

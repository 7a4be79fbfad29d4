/** Writes generated weights in the official layout: sharded PixelLM safetensors and the CLIP tower. */
import path from "node:path";
import {
  type ClipVisionConfig,
  type ParameterSpec,
  type PixelLMConfig,
  clipParameters,
  pixellmParameters,
  writeSafetensors,
  writeShardedCheckpoint,
} from "@pixellm/checkpoint";
import { byteLengthOf, numel } from "@pixellm/tensor";
import { type DtypePolicy, parameterTensor, storedDtype } from "./synth-weights";

export interface WeightsToWrite {
  readonly checkpointDir: string;
  readonly visionTowerDir: string;
  readonly config: PixelLMConfig;
  readonly clip: ClipVisionConfig;
  readonly seed: number;
  readonly dtype: DtypePolicy;
  readonly shardBytes: number;
  /** Values that replace generated ones, by parameter name (e.g. a planted LM head). */
  readonly overrides?: ReadonlyMap<string, Float32Array>;
}

export interface WrittenWeights {
  readonly parameters: number;
  readonly bytes: number;
}

/** Writes into existing directories (makeCheckpoint creates them for the configs first). */
export async function writeGeneratedWeights(w: WeightsToWrite): Promise<WrittenWeights> {
  const llmSpecs = pixellmParameters(w.config);
  const llmTensors = llmSpecs.map((spec) =>
    parameterTensor(spec, w.seed, storedDtype(spec, w.dtype), w.overrides?.get(spec.name)),
  );
  await writeShardedCheckpoint(w.checkpointDir, llmTensors, w.shardBytes);
  // The HF CLIP repository stores float32 weights; only a "mixed" policy keeps them so.
  const clipSpecs = clipParameters(w.clip);
  const clipTensors = clipSpecs.map((spec) => parameterTensor(spec, w.seed, storedDtype(spec, w.dtype)));
  const clipBytes = await writeSafetensors(path.join(w.visionTowerDir, "model.safetensors"), clipTensors);
  const count = (specs: readonly ParameterSpec[]) => specs.reduce((sum, s) => sum + numel(s.shape), 0);
  const llmBytes = llmTensors.reduce((sum, t) => sum + byteLengthOf(t.dtype, t.shape), 0);
  return { parameters: count(llmSpecs) + count(clipSpecs), bytes: llmBytes + clipBytes };
}

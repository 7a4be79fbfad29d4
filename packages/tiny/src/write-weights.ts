/** Writes generated weights in the official layout: sharded PixelLM safetensors and the CLIP tower. */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import {
  type ClipVisionConfig,
  type PixelLMConfig,
  clipParameters,
  pixellmParameters,
  writeSafetensors,
  writeShardedCheckpoint,
} from "@pixellm/checkpoint";
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
  readonly shards: readonly string[];
}

export async function writeGeneratedWeights(w: WeightsToWrite): Promise<WrittenWeights> {
  await mkdir(w.checkpointDir, { recursive: true });
  await mkdir(w.visionTowerDir, { recursive: true });
  const llmSpecs = pixellmParameters(w.config);
  const llmTensors = llmSpecs.map((spec) =>
    parameterTensor(spec, w.seed, storedDtype(spec, w.dtype), w.overrides?.get(spec.name)),
  );
  const shards = await writeShardedCheckpoint(w.checkpointDir, llmTensors, w.shardBytes);
  // The HF CLIP repository stores float32 weights; only a "mixed" policy keeps them so.
  const clipSpecs = clipParameters(w.clip);
  const clipTensors = clipSpecs.map((spec) => parameterTensor(spec, w.seed, storedDtype(spec, w.dtype)));
  const clipBytes = await writeSafetensors(path.join(w.visionTowerDir, "model.safetensors"), clipTensors);
  const count = (specs: typeof llmSpecs) =>
    specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
  const llmBytes = llmTensors.reduce(
    (sum, t, i) => sum + count([llmSpecs[i]!]) * (t.dtype === "float32" ? 4 : 2),
    0,
  );
  return { parameters: count(llmSpecs) + count(clipSpecs), bytes: llmBytes + clipBytes, shards };
}

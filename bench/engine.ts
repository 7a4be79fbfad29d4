/**
 * Engine benchmark on the tiny and the small generated model (LLM H=512 × 8 layers, CLIP
 * width 256 × 24 layers, official-size pixel decoder):
 *   - each stage alone: latency at batch 1, throughput at batch 1 vs 8, peak RSS of a process
 *     holding just that stage;
 *   - generation of 32 and 128 new tokens: the KV-cached scheduler vs the official recompute
 *     loop (the whole sequence and CLIP again at every step), on the same graphs.
 *
 *   pnpm bench:engine [--quick]     prints tables, writes bench/results/engine.json
 *   --quick: tiny model only
 */
import path from "node:path";
import { rm } from "node:fs/promises";
import type { PresetName } from "@pixellm/tiny";
import { generatedBundle } from "./support/bundle";
import { runChild } from "./support/child";
import { printTable, writeResults } from "./support/report";
import { tempDir } from "./support/temp";

interface StageResult {
  latencyMs: number;
  throughput1: number;
  throughput8: number;
  meanDecodeBatch?: number;
  peakRssBytes: number;
}
interface GenerationResult {
  cachedMs: number;
  recomputeMs: number;
  recomputeLlmOnlyMs: number;
  speedup: number;
  speedupLlmOnly: number;
  peakRssBytes: number;
}

const presets: PresetName[] = process.argv.includes("--quick") ? ["tiny"] : ["tiny", "small"];
const work = await tempDir("engine-bench");
const results: Record<
  string,
  { stages: Record<string, StageResult>; generation: Record<string, GenerationResult> }
> = {};
try {
  for (const preset of presets) {
    const bundleDir = await generatedBundle({ outDir: path.join(work, preset), preset, seed: 0 });
    const stages: Record<string, StageResult> = {};
    for (const stage of ["vision", "llm", "decoder"])
      stages[stage] = await runChild<StageResult>("engine-child.ts", [stage, bundleDir]);
    const generation: Record<string, GenerationResult> = {};
    for (const tokens of [32, 128])
      generation[tokens] = await runChild<GenerationResult>("engine-child.ts", [
        "generation",
        bundleDir,
        String(tokens),
      ]);
    results[preset] = { stages, generation };

    console.log(`\n${preset} model: stages alone (units: vision and decoder images/s, llm tokens/s)`);
    printTable(
      ["stage", "latency b=1", "throughput b=1", "throughput b=8", "b=8 / b=1", "peak RSS"],
      Object.entries(stages).map(([name, r]) => [
        name,
        `${r.latencyMs.toFixed(1)} ms`,
        r.throughput1.toFixed(1),
        r.throughput8.toFixed(1),
        `${(r.throughput8 / r.throughput1).toFixed(2)}x`,
        `${(r.peakRssBytes / 1e6).toFixed(0)} MB`,
      ]),
    );
    console.log(`\n${preset} model: generation, KV cache vs the official recompute loop`);
    printTable(
      ["new tokens", "KV cached", "recompute (CLIP each step)", "speedup", "recompute (LLM only)", "speedup"],
      Object.entries(generation).map(([tokens, r]) => [
        tokens,
        `${r.cachedMs.toFixed(0)} ms`,
        `${r.recomputeMs.toFixed(0)} ms`,
        `${r.speedup.toFixed(1)}x`,
        `${r.recomputeLlmOnlyMs.toFixed(0)} ms`,
        `${r.speedupLlmOnly.toFixed(1)}x`,
      ]),
    );
  }
  await writeResults("engine", { presets: results });
} finally {
  await rm(work, { recursive: true, force: true });
}

/**
 * Engine benchmark on the tiny and the small generated model (LLM H=512 × 8 layers, CLIP
 * width 256 × 24 layers, official-size pixel decoder):
 *   - each stage alone: latency at batch 1, throughput at batch 1 vs 8, peak RSS of a process
 *     holding just that stage;
 *   - generation of 32 and 128 new tokens: the KV-cached scheduler vs the official recompute
 *     loop (the whole sequence and CLIP again at every step), on the same graphs;
 *   - pure decode on the small model, 300 cached positions per row, batch 1 to 16: step time,
 *     tokens/s, bytes a step reads, and % of the memory roofline (those bytes at the bandwidth
 *     a copy reaches in the same run); then 1,000 steps of continuous batching at batch 8 and
 *     the resident memory along them.
 *
 *   pnpm bench:engine [--quick | --decode]     prints tables, writes bench/results/engine.json
 *   --quick: tiny model only, no pure-decode table; --decode: the pure-decode table only
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

interface DecodeStep {
  stepMs: number;
  /** Cache positions per row a step reads (the cached 300+ rounded up to the cache's width). */
  width: number;
  weightBytes: number;
  kvBytes: number;
}

const decodeOnly = process.argv.includes("--decode");
const presets: PresetName[] = process.argv.includes("--quick")
  ? ["tiny"]
  : decodeOnly
    ? []
    : ["tiny", "small"];
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
  const decode = process.argv.includes("--quick") ? undefined : await pureDecode();
  await writeResults(decodeOnly ? "engine-decode" : "engine", {
    presets: results,
    ...(decode ? { decode } : {}),
  });
} finally {
  await rm(work, { recursive: true, force: true });
}

/** The pure-decode table and the memory run, on the small model. */
async function pureDecode() {
  const bundleDir = await generatedBundle({ outDir: path.join(work, "decode"), preset: "small", seed: 0 });
  // The roofline's bandwidth: the best copy, before and after the steps (a busy machine only lowers it).
  const copies = [await runChild<{ bytesPerSecond: number }>("decode-child.ts", ["copy"])];
  const steps = await runChild<Record<number, DecodeStep>>("decode-child.ts", [
    "steps",
    bundleDir,
    "1",
    "2",
    "4",
    "8",
    "16",
  ]);
  copies.push(await runChild<{ bytesPerSecond: number }>("decode-child.ts", ["copy"]));
  const bandwidth = Math.max(...copies.map((c) => c.bytesPerSecond));
  const memory = await runChild<{ rss: number[]; steps: number }>("decode-child.ts", [
    "memory",
    bundleDir,
    "1000",
  ]);

  const rows = Object.entries(steps).map(([batch, r]) => {
    const bytes = r.weightBytes + r.kvBytes;
    const rooflineMs = (1000 * bytes) / bandwidth;
    return { batch: Number(batch), ...r, bytes, rooflineMs, ofRoofline: rooflineMs / r.stepMs };
  });
  console.log(
    `\nsmall model: pure decode, 300 cached positions per row (cache width ${steps[1]!.width}); copy bandwidth ${(bandwidth / 1e9).toFixed(1)} GB/s (read + written)`,
  );
  printTable(
    ["batch", "step", "tokens/s", "bytes / step", "roofline step", "% of roofline"],
    rows.map((r) => [
      String(r.batch),
      `${r.stepMs.toFixed(1)} ms`,
      ((1000 * r.batch) / r.stepMs).toFixed(0),
      `${(r.bytes / 1e6).toFixed(0)} MB`,
      `${r.rooflineMs.toFixed(1)} ms`,
      `${(100 * r.ofRoofline).toFixed(0)}%`,
    ]),
  );
  const ratio = steps[8]!.stepMs / steps[1]!.stepMs;
  const [first, last] = [memory.rss[1] ?? memory.rss[0]!, memory.rss[memory.rss.length - 1]!];
  const growth = last / first - 1;
  // The garbage collector frees step outputs in bursts, so one sample says little: the range
  // over every 100th step shows whether memory climbs or only breathes.
  const [low, high] = [Math.min(...memory.rss), Math.max(...memory.rss)];
  console.log(
    `batch-8 step / batch-1 step: ${ratio.toFixed(2)}x (target <= 2); batch 8 at ${(100 * rows[3]!.ofRoofline).toFixed(0)}% of the roofline (target >= 50%)`,
  );
  console.log(
    `memory over ${memory.steps} decode steps at batch 8 (sequences replaced as they finish): RSS ${(first / 1e6).toFixed(0)} MB at step 200, ${(last / 1e6).toFixed(0)} MB at the end (${(100 * growth).toFixed(1)}%); every 100th step between ${(low / 1e6).toFixed(0)} and ${(high / 1e6).toFixed(0)} MB`,
  );
  return {
    bandwidth,
    copies,
    rows,
    batch8OverBatch1: ratio,
    memory: { ...memory, growthAfterStep200: growth },
  };
}

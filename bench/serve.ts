/**
 * Serving benchmark: closed-loop clients against the local distributed deployment (one replica
 * per stage, one gateway, Redis), beside the in-process engine: requests/s, latency
 * percentiles, mean batch size per stage. Two workloads, each on the "small" model:
 *   - decode-heavy: </s> never the greedy choice, so every request decodes exactly 128 new
 *     tokens (no targets); concurrency 1, 4, 16 and 64;
 *   - answers: a planted answer as real ones look, 32 new tokens ending in </s> with one
 *     codebook group (one mask to decode; a generated model cannot be made to answer with
 *     several); concurrency 1 and 16.
 * Requests use distinct images (no vision reuse).
 *
 * The in-process engine and the deployment are loaded side by side and measured in alternation
 * (single requests interleaved at concurrency 1; whole rounds alternated at 16), so a machine
 * that speeds up or slows down during the run biases neither: the ratios compare like with like.
 *
 *   pnpm bench:serve [--quick] [--levels 1,4,16,64]   prints tables, writes bench/results/serve.json
 *   --quick: the tiny model, concurrency 1 and 16 only; --levels: the decode-heavy workload's
 */
import { rm } from "node:fs/promises";
import { PixelLMClient } from "@pixellm/client";
import { PixelLMEngine } from "@pixellm/engine";
import { type BatchTotals, batchTotals, meanBetween } from "@pixellm/launcher";
import type { MakeCheckpointOptions } from "@pixellm/tiny";
import { generatedBundle } from "./support/bundle";
import { benchDeployment } from "./support/deployment";
import { type LoopResult, closedLoop, merge, percentile } from "./support/closed-loop";
import { benchImages } from "./support/images";
import { printTable, writeResults } from "./support/report";
import { tempDir } from "./support/temp";

const quick = process.argv.includes("--quick");
const preset = quick ? "tiny" : "small";
const levelsFlag = process.argv.indexOf("--levels");
const levels =
  levelsFlag > 0 ? process.argv[levelsFlag + 1]!.split(",").map(Number) : quick ? [1, 16] : [1, 4, 16, 64];
const QUERY = "Describe the image and segment every object.";
const SINGLE_PAIRS = 6;
const requestsAt = (concurrency: number) => Math.max(6, concurrency * 2);

interface Workload {
  readonly name: string;
  readonly model: Omit<MakeCheckpointOptions, "outDir" | "preset" | "seed">;
  /** What each request may generate (the answers workload's end with </s> before it). */
  readonly maxNewTokens: number;
  readonly levels: readonly number[];
}

const WORKLOADS: readonly Workload[] = [
  { name: "decode-heavy", model: { plantAnswer: false, neverEos: true }, maxNewTokens: 128, levels },
  { name: "answers", model: { plantAnswer: true, plantedLeadIn: 24 }, maxNewTokens: 64, levels: [1, 16] },
];

const work = await tempDir("serve-bench");
const images = await benchImages(256);
let next = 0;
const nextImage = () => images[next++ % images.length]!;
try {
  const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  for (const workload of WORKLOADS) results[workload.name] = await measure(workload);
  await writeResults("serve", { preset, workloads: results });
} finally {
  await rm(work, { recursive: true, force: true });
}

async function measure(workload: Workload) {
  const MAX_NEW_TOKENS = workload.maxNewTokens;
  const bundle = await generatedBundle({
    outDir: `${work}/${workload.name}`,
    preset,
    seed: 1,
    ...workload.model,
  });

  const engine = await PixelLMEngine.load(bundle, { verify: "size" });
  const deployment = await benchDeployment(bundle, "serve", {
    roleEnv: { gateway: { GATEWAY_MAX_NEW_TOKENS: String(MAX_NEW_TOKENS) } },
  });
  const client = new PixelLMClient(deployment.gatewayAddresses[0]!);
  const stages = {
    vision: deployment.byRole("vision-encoder"),
    llm: deployment.byRole("llm"),
    decoder: deployment.byRole("pixel-decoder"),
  };
  const local = () => engine.segment({ image: nextImage(), query: QUERY, maxNewTokens: MAX_NEW_TOKENS });
  // What the distributed requests got: new tokens and targets of each.
  const answers = { tokens: [] as number[], targets: [] as number[] };
  const remote = async () => {
    const response = await client.segment(
      { image: nextImage(), query: QUERY, maxNewTokens: MAX_NEW_TOKENS },
      { timeoutMs: 900_000 },
    );
    answers.tokens.push(response.outputIds.length);
    answers.targets.push(response.targets.length);
  };
  /** A distributed closed loop with the stages' mean batch sizes over it. */
  const distributedLoop = async (concurrency: number, requests: number) => {
    const before: Record<string, BatchTotals> = {};
    for (const [name, processes] of Object.entries(stages)) before[name] = await batchTotals(processes);
    const result = await closedLoop(concurrency, requests, remote);
    const meanBatch: Record<string, number> = {};
    for (const [name, processes] of Object.entries(stages))
      meanBatch[name] = meanBetween(before[name]!, await batchTotals(processes));
    return { ...result, meanBatch };
  };

  const inProcess: Record<number, LoopResult> = {};
  const distributed: Record<number, LoopResult & { meanBatch: Record<string, number> }> = {};
  try {
    await local(); // warm both paths
    await remote();
    // Concurrency 1: single requests, alternating.
    const pairs: { local: LoopResult[]; remote: (LoopResult & { meanBatch: Record<string, number> })[] } = {
      local: [],
      remote: [],
    };
    for (let i = 0; i < SINGLE_PAIRS; i++) {
      pairs.local.push(await closedLoop(1, 1, local));
      pairs.remote.push(await distributedLoop(1, 1));
    }
    inProcess[1] = merge(pairs.local);
    distributed[1] = { ...merge(pairs.remote), meanBatch: pairs.remote[0]!.meanBatch };
    // Concurrency 16 in-process (the machine's own limit), two rounds alternating with distributed.
    const rounds16: { local: LoopResult[]; remote: (LoopResult & { meanBatch: Record<string, number> })[] } =
      { local: [], remote: [] };
    for (let round = 0; round < 2; round++) {
      rounds16.local.push(await closedLoop(16, 16, local));
      if (workload.levels.includes(16)) rounds16.remote.push(await distributedLoop(16, 16));
    }
    inProcess[16] = merge(rounds16.local);
    if (workload.levels.includes(16))
      distributed[16] = { ...merge(rounds16.remote), meanBatch: rounds16.remote[1]!.meanBatch };
    for (const concurrency of workload.levels.filter((c) => c !== 1 && c !== 16))
      distributed[concurrency] = await distributedLoop(concurrency, requestsAt(concurrency));
  } finally {
    client.close();
    await deployment.stop();
    await engine.close();
  }

  const bestInProcess = Math.max(...Object.values(inProcess).map((r) => r.throughput));
  const row = (label: string, r: LoopResult, meanBatch?: Record<string, number>) => [
    label,
    r.throughput.toFixed(3),
    `${(percentile(r.latencies, 50) / 1000).toFixed(2)} s`,
    `${(percentile(r.latencies, 95) / 1000).toFixed(2)} s`,
    `${(percentile(r.latencies, 99) / 1000).toFixed(2)} s`,
    meanBatch
      ? `${meanBatch.vision!.toFixed(2)} / ${meanBatch.llm!.toFixed(2)} / ${meanBatch.decoder!.toFixed(2)}`
      : "-",
  ];
  const range = (values: number[]) => `${Math.min(...values)}–${Math.max(...values)}`;
  console.log(
    `\n${workload.name}: ${preset} model, ${range(answers.tokens)} new tokens and ${range(answers.targets)} targets per request, distinct images`,
  );
  printTable(
    ["run", "req/s", "p50", "p95", "p99", "mean batch vision / llm / decoder"],
    [
      ...Object.entries(inProcess).map(([c, r]) => row(`in-process c=${c}`, r)),
      ...Object.entries(distributed)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([c, r]) => row(`distributed c=${c}`, r, r.meanBatch)),
    ],
  );
  const one = distributed[1];
  const sixteen = distributed[16];
  const ratios = {
    scaling16: sixteen ? sixteen.throughput / one.throughput : null,
    vsInProcessBest: sixteen ? sixteen.throughput / bestInProcess : null,
    overheadAt1: percentile(one.latencies, 50) / percentile(inProcess[1].latencies, 50) - 1,
  };
  console.log(
    `throughput at 16 / at 1: ${ratios.scaling16?.toFixed(2) ?? "-"}x (target ≥ 1.9); at 16 vs in-process best: ${ratios.vsInProcessBest !== null ? (100 * ratios.vsInProcessBest).toFixed(0) : "-"}% (target ≥ 90%); overhead at 1 (p50): ${(100 * ratios.overheadAt1).toFixed(1)}% (target ≤ 10%)`,
  );
  return { maxNewTokens: MAX_NEW_TOKENS, inProcess, distributed, bestInProcess, targets: ratios };
}

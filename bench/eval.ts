/**
 * Evaluation throughput: MUSE questions per second through the local distributed deployment (one
 * replica per stage and one gateway with Redis, as `pnpm start` runs it; async jobs, as `pixellm
 * eval --address` sends them) at concurrency 1 and 16, beside the in-process engine at the same
 * concurrency. Each pass is a whole `pixellm eval` run (prompts, answers, scoring); the two paths
 * alternate pass by pass so a machine that speeds up or slows down biases neither, and their
 * scores must agree (greedy decoding is deterministic).
 *
 *   pnpm bench:eval [--data FILE.json --images DIR] [--model BUNDLE] [--limit N] [--levels 1,16]
 *
 * Defaults: the CLI's default bundle (the trained demo model) and the synthetic val split it was
 * held out from (`pixellm make-dataset --seed 0 --val 60`, regenerated into a temporary directory:
 * every scene is a pure function of the seed); at most 64 questions per pass, and enough passes for
 * MIN_QUESTIONS questions per measurement. Prints a table, writes bench/results/eval.json.
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadMuseFile } from "@pixellm/muse";
import { writeDataset } from "@pixellm/synth";
import { defaultBundle } from "../packages/cli/src/default-bundle";
import { engineSegmenter } from "../packages/cli/src/eval/engine-segmenter";
import { summarize } from "../packages/cli/src/eval/eval-summary";
import { gatewaySegmenter } from "../packages/cli/src/eval/gateway-segmenter";
import type { QuestionSegmenter } from "../packages/cli/src/eval/question-segmenter";
import { runEval } from "../packages/cli/src/eval/run-eval";
import { benchDeployment } from "./support/deployment";
import { printTable, writeResults } from "./support/report";

/** The val split the demo model was trained beside (scripts/train/run.sh: seed 0, 60 images). */
async function syntheticValSplit(): Promise<{ data: string; images: string }> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), "bench-eval-"));
  const [val] = await writeDataset({
    outDir,
    seed: 0,
    images: { train: 0, val: 60, test: 0 },
    questionsPerImage: 8,
  });
  return { data: val!.file, images: val!.imageDir };
}
/** Questions per measurement at least: small files are evaluated several times over. */
const MIN_QUESTIONS = 32;

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    images: { type: "string" },
    model: { type: "string" },
    limit: { type: "string", default: "64" },
    levels: { type: "string", default: "1,16" },
  },
});
if (Boolean(values.data) !== Boolean(values.images)) throw new Error("give --data and --images together");
const { data, images } =
  values.data && values.images ? { data: values.data, images: values.images } : await syntheticValSplit();
const limit = Number(values.limit);
const levels = values.levels.split(",").map(Number);
const bundle = values.model ?? (await defaultBundle());
const records = await loadMuseFile(data);
const questions = Math.min(
  limit,
  records.reduce((n, r) => n + r.questions.length, 0),
);
const passes = Math.ceil(MIN_QUESTIONS / questions);

interface Measurement {
  readonly questions: number;
  readonly seconds: number;
  readonly questionsPerSecond: number;
  readonly gIoU: number;
  readonly cIoU: number;
}

/** One `pixellm eval` pass; its scores and speed. */
async function pass(segmenter: QuestionSegmenter, concurrency: number): Promise<Measurement> {
  const run = await runEval({ records, imagesDir: images, segmenter, concurrency, seed: 0, limit });
  const summary = summarize(run);
  if (summary.failed > 0)
    throw new Error(`${summary.failed} questions failed through ${segmenter.description}`);
  return {
    questions: run.outcomes.length,
    seconds: run.seconds,
    questionsPerSecond: summary.questionsPerSecond,
    gIoU: summary.overall.gIoU,
    cIoU: summary.overall.cIoU,
  };
}

function pooled(runs: readonly Measurement[]): Measurement {
  const questions = runs.reduce((n, r) => n + r.questions, 0);
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  return {
    questions,
    seconds,
    questionsPerSecond: questions / seconds,
    gIoU: runs[0]!.gIoU,
    cIoU: runs[0]!.cIoU,
  };
}

const local = await engineSegmenter(bundle);
const deployment = await benchDeployment(bundle, "eval");
const remote = await gatewaySegmenter(deployment.gatewayAddresses[0]!);
const results: { concurrency: number; inProcess: Measurement; distributed: Measurement }[] = [];
try {
  await pass(local, 1); // warm both paths
  await pass(remote, 1);
  for (const concurrency of levels) {
    const runs = { inProcess: [] as Measurement[], distributed: [] as Measurement[] };
    for (let i = 0; i < passes; i++) {
      runs.inProcess.push(await pass(local, concurrency));
      runs.distributed.push(await pass(remote, concurrency));
    }
    const measured = {
      concurrency,
      inProcess: pooled(runs.inProcess),
      distributed: pooled(runs.distributed),
    };
    console.error(
      `c=${concurrency}: in-process ${measured.inProcess.questionsPerSecond.toFixed(2)} q/s, distributed ${measured.distributed.questionsPerSecond.toFixed(2)} q/s`,
    );
    results.push(measured);
  }
} finally {
  await remote.close();
  await deployment.stop();
  await local.close();
}

const sameScores = results.every(
  (r) => r.inProcess.gIoU === r.distributed.gIoU && r.inProcess.cIoU === r.distributed.cIoU,
);
console.log(`\n${data}: ${questions} questions per pass, ${passes} pass(es) per row; model ${bundle}`);
printTable(
  ["run", "questions", "q/s", "vs in-process", "gIoU", "cIoU"],
  results.flatMap((r) => [
    [
      `in-process c=${r.concurrency}`,
      String(r.inProcess.questions),
      r.inProcess.questionsPerSecond.toFixed(3),
      "-",
      r.inProcess.gIoU.toFixed(4),
      r.inProcess.cIoU.toFixed(4),
    ],
    [
      `distributed c=${r.concurrency}`,
      String(r.distributed.questions),
      r.distributed.questionsPerSecond.toFixed(3),
      (r.distributed.questionsPerSecond / r.inProcess.questionsPerSecond).toFixed(2),
      r.distributed.gIoU.toFixed(4),
      r.distributed.cIoU.toFixed(4),
    ],
  ]),
);
const first = results[0];
const last = results[results.length - 1];
const scaling =
  first && last && last !== first
    ? last.distributed.questionsPerSecond / first.distributed.questionsPerSecond
    : null;
console.log(
  `distributed c=${last?.concurrency} / c=${first?.concurrency}: ${scaling?.toFixed(2) ?? "-"}x; scores in-process = distributed: ${sameScores ? "yes" : "NO"}`,
);
await writeResults("eval", {
  data,
  images,
  model: bundle,
  questionsPerPass: questions,
  passes,
  results,
  scaling,
  sameScores,
});
if (!sameScores) process.exitCode = 1;

/**
 * Export streams: a generated checkpoint with over 1 GB of weights ("large" preset) is exported
 * to fp32 and fp16 bundles in child processes, and each one's peak RSS is compared with the
 * budget 1.5 × the largest single tensor + 500 MB (the largest tensor as it is written out).
 *
 *   pnpm bench:export [--keep]      prints a table, writes bench/results/export-memory.json
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { TensorStore } from "@pixellm/checkpoint";
import { byteLengthOf, numel } from "@pixellm/tensor";
import { makeCheckpoint } from "@pixellm/tiny";
import { runChild } from "./support/child";
import { printTable, writeResults } from "./support/report";
import { tempDir } from "./support/temp";

const MB = 1e6;

const work = await tempDir("export-bench");
try {
  const started = performance.now();
  const made = await makeCheckpoint({ outDir: work, preset: "large", seed: 0, dtype: "mixed" });
  const generateSeconds = (performance.now() - started) / 1000;
  const store = await TensorStore.openDirectory(made.checkpointDir, "checkpoint");
  const largest = store.names().reduce((best, name) => {
    const info = store.info(name);
    return numel(info.shape) > numel(best.shape) ? info : best;
  }, store.info(store.names()[0]!));
  await store.close();

  const rows = [];
  for (const dtype of ["float32", "float16"] as const) {
    const outDir = path.join(work, `bundle-${dtype}`);
    const result = await runChild<{
      seconds: number;
      totalBytes: number;
      peakRssBytes: number;
      files: { path: string; bytes: number }[];
    }>("export-child.ts", [made.checkpointDir, made.visionTowerDir, outDir, dtype]);
    const largestOut = byteLengthOf(dtype, largest.shape);
    const budget = 1.5 * largestOut + 500 * MB;
    rows.push({
      dtype,
      checkpointBytes: made.bytes,
      bundleBytes: result.totalBytes,
      largestTensor: `${largest.name} [${largest.shape.join(",")}]`,
      largestTensorBytes: largestOut,
      peakRssBytes: result.peakRssBytes,
      budgetBytes: budget,
      withinBudget: result.peakRssBytes <= budget,
      seconds: result.seconds,
      files: result.files,
    });
    await rm(outDir, { recursive: true, force: true });
  }
  printTable(
    ["bundle dtype", "checkpoint", "bundle", "largest tensor out", "peak RSS", "budget", "ok", "export s"],
    rows.map((r) => [
      r.dtype,
      mb(r.checkpointBytes),
      mb(r.bundleBytes),
      mb(r.largestTensorBytes),
      mb(r.peakRssBytes),
      mb(r.budgetBytes),
      r.withinBudget ? "yes" : "NO",
      r.seconds.toFixed(1),
    ]),
  );
  console.log(
    `largest tensor: ${rows[0]!.largestTensor}; checkpoint generated in ${generateSeconds.toFixed(1)} s`,
  );
  await writeResults("export-memory", { parameters: made.parameters, generateSeconds, rows });
  if (rows.some((r) => !r.withinBudget)) process.exitCode = 1;
} finally {
  if (!process.argv.includes("--keep")) await rm(work, { recursive: true, force: true });
}

function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(0)} MB`;
}

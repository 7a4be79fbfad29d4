/** Benchmark output: an aligned table on stdout and a JSON record under bench/results/. */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

export async function writeResults(name: string, data: unknown): Promise<string> {
  const dir = path.join(import.meta.dirname, "..", "results");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryBytes: os.totalmem(),
    node: process.version,
  };
  await writeFile(
    file,
    JSON.stringify(
      { benchmark: name, date: new Date().toISOString(), machine, ...(data as object) },
      null,
      2,
    ) + "\n",
  );
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  return file;
}

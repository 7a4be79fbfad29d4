/** Runs a benchmark child script (node + tsx, from source) and parses the JSON line it prints last. */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { FROM_SOURCE } from "../../scripts/build/entry-points";

const run = promisify(execFile);

export async function runChild<T>(script: string, args: readonly string[]): Promise<T> {
  const { stdout } = await run(
    process.execPath,
    [...FROM_SOURCE, path.join(import.meta.dirname, script), ...args],
    { maxBuffer: 64 * 2 ** 20 },
  );
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as T;
}

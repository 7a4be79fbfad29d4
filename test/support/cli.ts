/** Runs the `pixellm` command as developers do (a child process, from source), capturing its output. */
import { execFile } from "node:child_process";
import path from "node:path";
import { FROM_SOURCE } from "../../scripts/build/entry-points";

const MAIN = path.join(import.meta.dirname, "../../packages/cli/src/main.ts");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function pixellm(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...FROM_SOURCE, MAIN, ...args],
      { timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A stack frame line, as Node prints them ("    at fn (file:line:col)"). */
export const STACK_FRAME = /^\s+at .+[:(]/m;

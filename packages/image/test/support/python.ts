/**
 * Runs an independent Python reference (Debian /usr/bin/python3 with python3-pil and
 * python3-numpy, installed by scripts/setup.sh): JSON on stdin, JSON on stdout.
 */
import { execFileSync } from "node:child_process";

const PYTHON = "/usr/bin/python3";

export function runPython(script: string, input: unknown): unknown {
  try {
    const out = execFileSync(PYTHON, ["-c", script], {
      input: JSON.stringify(input),
      maxBuffer: 1 << 30,
      stdio: ["pipe", "pipe", "pipe"],
    });
    return JSON.parse(out.toString("utf8")) as unknown;
  } catch (error: unknown) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString("utf8") ?? "";
    throw new Error(
      `the Python reference failed (needs ${PYTHON} with python3-pil 9.4 and python3-numpy): ` +
        `${error instanceof Error ? error.message : String(error)}\n${stderr}`,
    );
  }
}

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));

/** Helpers shared by the checkpoint reader tests. */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { CheckpointError } from "../src";

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** `promise` rejects with a CheckpointError of `code` whose message matches `message`. */
export async function expectCheckpointError(
  promise: Promise<unknown>,
  code: string,
  message: RegExp,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  expect((error as CheckpointError).code).toBe(code);
  expect((error as CheckpointError).message).toMatch(message);
}

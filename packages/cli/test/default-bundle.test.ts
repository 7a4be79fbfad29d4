/**
 * Without --model the CLI uses the shipped demo model; an installation without it (the container
 * images leave models/ out) says so and what to give instead, rather than failing on a path.
 */
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { defaultBundle } from "../src/default-bundle";
import { UsageError } from "../src/usage-error";

it("refuses with a usage error naming --model when the demo model is not installed", async () => {
  const missing = path.join(os.tmpdir(), `no-demo-model-${process.pid}`);
  const refusal = await defaultBundle(missing).catch((error: unknown) => error);
  expect(refusal).toBeInstanceOf(UsageError);
  expect((refusal as Error).message).toBe(
    `no --model given, and this installation has no demo model (${missing} is missing: the container images leave it out); give --model BUNDLE`,
  );
});

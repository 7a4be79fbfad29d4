/** `pixellm tenants`: the hash printed for a key is the one the gateway compares against. */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { expect, it } from "vitest";
import { FROM_SOURCE } from "../../../scripts/build/entry-points";

const MAIN = path.join(import.meta.dirname, "../src/main.ts");

function tenants(
  args: readonly string[],
  input = "",
): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [...FROM_SOURCE, MAIN, "tenants", ...args], {
    input,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

it("hash-key prints the SHA-256 of the key on stdin (one trailing newline ignored)", () => {
  expect(tenants(["hash-key"], "s3cret-key\n")).toMatchObject({
    code: 0,
    stdout: `${sha256("s3cret-key")}\n`,
  });
  expect(tenants(["hash-key"], "")).toMatchObject({ code: 2 });
});

it("new-key prints a fresh key with its hash", () => {
  const { key, keySha256 } = JSON.parse(tenants(["new-key"]).stdout) as { key: string; keySha256: string };
  expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(keySha256).toBe(sha256(key));
  expect((JSON.parse(tenants(["new-key"]).stdout) as { key: string }).key).not.toBe(key);
});

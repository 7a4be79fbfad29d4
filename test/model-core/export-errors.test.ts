/**
 * `pixellm export` refuses bad checkpoints with one message naming the problem — the tensor,
 * the shard, the field — and exit code 2, never a stack trace.
 */
import { cp, readFile, readdir, rm, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { STACK_FRAME, pixellm } from "../support/cli";
import { makeTinyCheckpoint, tempDir } from "../support/tiny-bundle";

let pristine: { checkpointDir: string; visionTowerDir: string };

beforeAll(async () => {
  pristine = await makeTinyCheckpoint(1);
});

/** `pixellm export` of the checkpoint in `checkpointDir` and `visionTowerDir` to `out`. */
function exportCheckpoint(checkpointDir: string, visionTowerDir: string, out: string) {
  return pixellm(["export", "--checkpoint", checkpointDir, "--vision-tower", visionTowerDir, "--out", out]);
}

/** A fresh copy of the generated checkpoint, damaged by `damage`. */
async function damaged(damage: (checkpointDir: string, visionTowerDir: string) => Promise<void>) {
  const root = await tempDir("damaged");
  const checkpointDir = path.join(root, "checkpoint");
  const visionTowerDir = path.join(root, "vision-tower");
  await cp(pristine.checkpointDir, checkpointDir, { recursive: true });
  await cp(pristine.visionTowerDir, visionTowerDir, { recursive: true });
  await damage(checkpointDir, visionTowerDir);
  return { root, checkpointDir, visionTowerDir };
}

async function editJson(file: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  edit(json);
  await writeFile(file, JSON.stringify(json));
}

async function lastShard(dir: string): Promise<string> {
  const shards = (await readdir(dir)).filter((f) => f.endsWith(".safetensors")).sort();
  return path.join(dir, shards[shards.length - 1]!);
}

const cases: [string, (c: string, v: string) => Promise<void>, RegExp][] = [
  [
    "a missing tensor",
    (c) =>
      editJson(
        path.join(c, "model.safetensors.index.json"),
        (j) => delete (j.weight_map as Record<string, string>)["model.layers.1.mlp.up_proj.weight"],
      ),
    /has no tensor named model\.layers\.1\.mlp\.up_proj\.weight/,
  ],
  [
    "a tensor of the wrong shape",
    (c) => editJson(path.join(c, "config.json"), (j) => (j.intermediate_size = 100)),
    /tensor model\.layers\.0\.mlp\.gate_proj\.weight has shape \[128,64\]; expected \[100,64\]/,
  ],
  [
    "an unknown dtype",
    async (c) => {
      const file = await lastShard(c);
      const bytes = await readFile(file);
      const at = bytes.indexOf('"dtype":"BF16"');
      bytes.write('"dtype":"F8E4"', at);
      await writeFile(file, bytes);
    },
    /has dtype "F8E4"; supported: F32, F16, BF16/,
  ],
  [
    "a truncated shard",
    async (c) => {
      const file = await lastShard(c);
      await truncate(file, (await stat(file)).size - 1000);
    },
    /model-00003-of-00003\.safetensors is truncated: tensor .+ ends at byte \d+ but the file has \d+ bytes/,
  ],
  [
    "a broken index",
    (c) =>
      editJson(
        path.join(c, "model.safetensors.index.json"),
        (j) =>
          ((j.weight_map as Record<string, string>)["model.norm.weight"] =
            "model-00007-of-00009.safetensors"),
      ),
    /lists shard model-00007-of-00009\.safetensors, which is not in/,
  ],
  [
    "a config field out of range",
    (c) => editJson(path.join(c, "config.json"), (j) => (j.rms_norm_eps = 5)),
    /config\.json: rms_norm_eps must be <= 0\.01 \(got 5\): RMSNorm epsilon/,
  ],
  [
    "a vision tower of another width",
    (_, v) =>
      editJson(
        path.join(v, "config.json"),
        (j) => ((j.vision_config as Record<string, unknown>).hidden_size = 48),
      ),
    /mm_hidden_size 32 does not match the vision tower's hidden_size 48/,
  ],
  [
    "no added_tokens.json",
    (c) => rm(path.join(c, "added_tokens.json")),
    /added tokens not found: .*added_tokens\.json/,
  ],
];

describe("pixellm export on bad checkpoints", () => {
  it.each(cases)("refuses %s with a clear message", async (_, damage, message) => {
    const { root, checkpointDir, visionTowerDir } = await damaged(damage);
    const out = path.join(root, "bundle");
    const result = await exportCheckpoint(checkpointDir, visionTowerDir, out);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^pixellm export: /m);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    // nothing half-written is left where a service could load it
    expect((await readdir(root)).filter((e) => e.startsWith("bundle"))).toEqual([]);
  });

  it("exports the undamaged checkpoint", async () => {
    const out = path.join(await tempDir("export"), "bundle");
    const result = await exportCheckpoint(pristine.checkpointDir, pristine.visionTowerDir, out);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/exported .*bundle: [\d.]+ K parameters, [\d.]+ MB, [\d.]+ s \(fp32\)/);
    expect((await readdir(out)).sort()).toEqual(
      [
        "added_tokens.json",
        "decoder.onnx",
        "embed.onnx",
        "llm.onnx",
        "pixellm.json",
        "special_tokens_map.json",
        "tokenizer.json",
        "tokenizer.model",
        "tokenizer_config.json",
        "vision.onnx",
      ].sort(),
    );
  });

  it("refuses to overwrite a bundle without --force", async () => {
    const out = await tempDir("existing");
    await writeFile(path.join(out, "keep.txt"), "x");
    const result = await exportCheckpoint(pristine.checkpointDir, pristine.visionTowerDir, out);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/already exists and is not empty; choose another --out or pass --force/);
    expect(await readdir(out)).toEqual(["keep.txt"]);
  });

  it("explains a bad flag with the usage", async () => {
    const result = await pixellm([
      "export",
      "--checkpoint",
      "x",
      "--vision-tower",
      "y",
      "--out",
      "z",
      "--dtype",
      "int4",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--dtype must be fp32 or fp16 \(got int4\)/);
    expect(result.stderr).toMatch(/pixellm export --checkpoint DIR/);
  });
});

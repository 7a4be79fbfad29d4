/**
 * `pixellm export` loads the checkpoint's tokenizer as the engine will and refuses one that
 * cannot serve: before this check, a tokenizer.model with 100 extra pieces beside added tokens
 * whose ids follow the old vocabulary exported fine, and `segment` failed on the bundle.
 */
import { cp, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { readSentencePieceModel, writeSentencePieceModel } from "@pixellm/tokenizer";
import { beforeAll, describe, expect, it } from "vitest";
import { STACK_FRAME, pixellm } from "../support/cli";
import { makeTinyCheckpoint, tempDir } from "../support/tiny-bundle";

let pristine: { checkpointDir: string; visionTowerDir: string };

beforeAll(async () => {
  pristine = await makeTinyCheckpoint(2);
});

/** A copy of the generated checkpoint whose tokenizer.model is rewritten by `edit`. */
async function withTokenizerModel(edit: (model: ReturnType<typeof readSentencePieceModel>) => void) {
  const root = await tempDir("tokenizer");
  const checkpointDir = path.join(root, "checkpoint");
  await cp(pristine.checkpointDir, checkpointDir, { recursive: true });
  const file = path.join(checkpointDir, "tokenizer.model");
  const model = readSentencePieceModel(await readFile(file));
  edit(model);
  await writeFile(file, await writeSentencePieceModel(model));
  return { root, checkpointDir, out: path.join(root, "bundle") };
}

async function exportFails(checkpointDir: string, out: string, message: RegExp): Promise<void> {
  const result = await pixellm([
    "export",
    "--checkpoint",
    checkpointDir,
    "--vision-tower",
    pristine.visionTowerDir,
    "--out",
    out,
  ]);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(STACK_FRAME);
  // Nothing is left behind for a service to load.
  expect(await readdir(path.dirname(out))).not.toContain(path.basename(out));
}

describe("export checks the tokenizer", () => {
  it("refuses 100 extra pieces before added tokens that kept their old ids", async () => {
    const added = JSON.parse(
      await readFile(path.join(pristine.checkpointDir, "added_tokens.json"), "utf8"),
    ) as Record<string, number>;
    const { checkpointDir, out } = await withTokenizerModel((model) => {
      const pieces = model.pieces as { piece: string; score: number; type: string }[];
      for (let i = 0; i < 100; i++) pieces.push({ piece: `▁extra${i}`, score: -1000 - i, type: "normal" });
    });
    const pieces = Math.min(...Object.values(added)) + 100;
    await exportFails(
      checkpointDir,
      out,
      new RegExp(
        `the tokenizer in .* cannot be loaded: .*added_tokens\\.json: added token "\\[SEG0\\]" has id ${added["[SEG0]"]} but should have ${pieces} .*; the bundle would not load`,
      ),
    );
  });

  it("refuses a normalizer the tokenizer does not implement", async () => {
    const { checkpointDir, out } = await withTokenizerModel((model) => {
      Object.assign(model.normalizerSpec, {
        name: "nmt_nfkc",
        precompiledCharsmap: Uint8Array.of(1, 2, 3, 4),
      });
    });
    await exportFails(
      checkpointDir,
      out,
      /uses normalization rules \("nmt_nfkc" precompiled_charsmap\); only the identity normalizer/,
    );
  });

  it("refuses a tokenizer larger than the embedding table", async () => {
    const root = await tempDir("tokenizer");
    const checkpointDir = path.join(root, "checkpoint");
    await cp(pristine.checkpointDir, checkpointDir, { recursive: true });
    const configFile = path.join(checkpointDir, "config.json");
    const config = JSON.parse(await readFile(configFile, "utf8")) as { vocab_size: number };
    const added = JSON.parse(await readFile(path.join(checkpointDir, "added_tokens.json"), "utf8")) as Record<
      string,
      number
    >;
    // One more added token than embedding rows: the tokenizer loads, but that id has no row.
    const last = Math.max(...Object.values(added));
    expect(last).toBe(config.vocab_size - 1);
    const extra = { ...added, "<extra>": last + 1 };
    await writeFile(path.join(checkpointDir, "added_tokens.json"), JSON.stringify(extra));
    await exportFails(
      checkpointDir,
      path.join(root, "bundle"),
      new RegExp(`has ${config.vocab_size + 1} tokens .* but embed_tokens has ${config.vocab_size} rows`),
    );
  });
});

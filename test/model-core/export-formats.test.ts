/**
 * Bundle formats: external-data graphs (how graphs over 2 GB are written) compute exactly what
 * inline ones do; a float16 export agrees with float32 within float16 precision; the manifest
 * names the codebook tokens (a bundle exported before it did still loads, with the same names);
 * the loader refuses a bundle whose files do not match their checksums.
 */
import { appendFile, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { BundleError, type BundleManifest, loadBundle } from "@pixellm/bundle";
import { PixelLMEngine } from "@pixellm/engine";
import { describe, expect, it } from "vitest";
import { shapesImage } from "../support/images";
import { maxAbsDiff } from "../support/reference-model";
import { makeTinyBundle } from "../support/tiny-bundle";

/** float16 keeps ~3 significant digits; through 23 CLIP layers the drift stays below this. */
const FLOAT16_TOLERANCE = 0.05;

describe("bundle formats", () => {
  it("external data: every graph's weights in .onnx.data, results identical to inline", async () => {
    const inline = await makeTinyBundle({ seed: 4 });
    const external = await makeTinyBundle({ seed: 4, externalData: "always" });
    const manifest = (await loadBundle(external.bundleDir)).manifest;
    expect(
      manifest.files
        .map((f) => f.path)
        .filter((p) => p.endsWith(".onnx.data"))
        .sort(),
    ).toEqual(["decoder.onnx.data", "embed.onnx.data", "llm.onnx.data", "vision.onnx.data"]);
    const image = await shapesImage(320, 240);
    const [a, b] = await Promise.all(
      [inline, external].map(async (t) => {
        const engine = await PixelLMEngine.load(t.bundleDir);
        try {
          return await engine.segment({ image, query: "Segment the ball." });
        } finally {
          await engine.close();
        }
      }),
    );
    expect(b!.outputIds).toEqual(a!.outputIds);
    expect(maxAbsDiff(b!.tensors.codebookHidden.data, a!.tensors.codebookHidden.data)).toBe(0);
    expect(maxAbsDiff(b!.tensors.lowResLogits.data, a!.tensors.lowResLogits.data)).toBe(0);
  });

  it("float16: loads and runs, within float16 precision of float32", async () => {
    const fp32 = await makeTinyBundle({ seed: 6 });
    const fp16 = await makeTinyBundle({ seed: 6, dtype: "float16" });
    expect((await loadBundle(fp16.bundleDir)).manifest.dtype).toBe("float16");
    const image = await shapesImage(300, 200, "png", 1);
    const run = async (dir: string) => {
      const engine = await PixelLMEngine.load(dir);
      try {
        // teacher forcing: both runs gather the same positions, whatever float16 does to argmax ties
        const promptIds = engine.promptIds("Segment the ball.");
        const seg = engine.bundle.manifest.tokens.seg;
        return await engine.segment({
          image,
          promptIds,
          answerIds: [...seg, engine.bundle.manifest.tokens.eos],
        });
      } finally {
        await engine.close();
      }
    };
    const [a, b] = [await run(fp32.bundleDir), await run(fp16.bundleDir)];
    expect(maxAbsDiff(b.tensors.imageEmbeds.data, a.tensors.imageEmbeds.data)).toBeLessThan(
      FLOAT16_TOLERANCE,
    );
    expect(maxAbsDiff(b.tensors.codebookHidden.data, a.tensors.codebookHidden.data)).toBeLessThan(
      FLOAT16_TOLERANCE,
    );
    expect(maxAbsDiff(b.tensors.lowResLogits.data, a.tensors.lowResLogits.data)).toBeLessThan(
      FLOAT16_TOLERANCE,
    );
    const fp16Bytes = (await loadBundle(fp16.bundleDir)).manifest.files.reduce((s, f) => s + f.bytes, 0);
    const fp32Bytes = (await loadBundle(fp32.bundleDir)).manifest.files.reduce((s, f) => s + f.bytes, 0);
    expect(fp16Bytes).toBeLessThan(0.6 * fp32Bytes);
  });

  it("names the codebook tokens in the manifest, and gives a manifest written without them the same names", async () => {
    const tiny = await makeTinyBundle({ seed: 9 });
    const manifestFile = path.join(tiny.bundleDir, "pixellm.json");
    const written = JSON.parse(await readFile(manifestFile, "utf8")) as BundleManifest;
    const { seg, codebookNames } = written.tokens;
    expect(codebookNames).toEqual(seg.map((_, i) => `[SEG${i}]`));
    // the ids are the checkpoint's for those names: what the gateway reserves and formats by
    const added = JSON.parse(
      await readFile(path.join(tiny.checkpointDir, "added_tokens.json"), "utf8"),
    ) as Record<string, number>;
    expect(codebookNames.map((name) => added[name])).toEqual(seg);

    const { codebookNames: _, ...olderTokens } = written.tokens;
    await writeFile(manifestFile, JSON.stringify({ ...written, tokens: olderTokens }));
    expect((await loadBundle(tiny.bundleDir)).manifest.tokens.codebookNames).toEqual(codebookNames);
  });

  it("refuses a bundle with a corrupted, truncated or missing file", async () => {
    const tiny = await makeTinyBundle({ seed: 8 });
    const decoder = path.join(tiny.bundleDir, "decoder.onnx");
    const original = await readFile(decoder);
    const flipped = Buffer.from(original);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 10) ^ 0xff, flipped.length - 10);
    await writeFile(decoder, flipped);
    await expect(loadBundle(tiny.bundleDir)).rejects.toThrow(/decoder\.onnx does not match its sha256/);
    await expect(loadBundle(tiny.bundleDir, "size")).resolves.toBeDefined(); // size-only check cannot see it
    await appendFile(decoder, "x");
    await expect(loadBundle(tiny.bundleDir, "size")).rejects.toThrow(
      /decoder\.onnx has \d+ bytes; the manifest says \d+/,
    );
    await writeFile(path.join(tiny.bundleDir, "pixellm.json"), "{");
    await expect(loadBundle(tiny.bundleDir)).rejects.toThrow(BundleError);
  });
});

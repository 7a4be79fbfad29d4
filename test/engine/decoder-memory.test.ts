/**
 * The decoder's memory does not grow with targets × image size: masks are made, encoded and
 * dropped one target at a time, and the graph runs on a few targets at a time. Each measured
 * decode runs in a process of its own (its peak RSS is the process's high-water mark), on the
 * tiny bundle's real decoder.onnx.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { loadBundle } from "@pixellm/bundle";
import { type DecodeInput, type DecodeOutput, DecoderStage, isFailure, openSessions } from "@pixellm/engine";
import { float32Tensor } from "@pixellm/tensor";
import { beforeAll, describe, expect, it } from "vitest";
import { FROM_SOURCE } from "../../scripts/build/entry-points";
import { type TinyBundle, makeTinyBundle } from "../support/tiny-bundle";

const SCRIPT = path.join(import.meta.dirname, "../support/decoder-peak-rss.ts");

interface PeakRss {
  readonly growthBytes: number;
  readonly maskBytes: number;
  readonly targets: number;
  readonly ms: number;
}

let tiny: TinyBundle;

beforeAll(async () => {
  tiny = await makeTinyBundle();
}, 120_000);

async function peakRss(targets: number, height: number, width: number): Promise<PeakRss> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...FROM_SOURCE, SCRIPT, tiny.bundleDir, String(targets), String(height), String(width)],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as PeakRss;
}

describe("the decoder's peak memory", () => {
  it(
    "48 targets at 2048x1536 cost at most 16 full-size masks more than 48 targets at 64x64",
    { timeout: 240_000 },
    async () => {
      // The same targets on a 64x64 image: what the graph runs and the process cost by themselves.
      const small = await peakRss(48, 64, 64);
      const large = await peakRss(48, 2048, 1536);
      const masksWorth = (large.growthBytes - small.growthBytes) / large.maskBytes;
      console.log(
        `decoder peak RSS growth: 48 x 64x64 ${(small.growthBytes / 2 ** 20).toFixed(1)} MiB, ` +
          `48 x 2048x1536 ${(large.growthBytes / 2 ** 20).toFixed(1)} MiB (${large.ms} ms): ` +
          `the masks cost ${masksWorth.toFixed(1)} full-size masks`,
      );
      expect(large.targets).toBe(48);
      // All 48 masks alive at once would be 48 masks' worth (144 MiB); one at a time is one mask
      // plus what the garbage collector has not yet taken back (RLE counts, young generation).
      expect(masksWorth).toBeLessThan(16);
    },
  );
});

describe("the decoder's runs of a few targets", () => {
  it("make the masks that one request per target makes", { timeout: 120_000 }, async () => {
    const bundle = await loadBundle(tiny.bundleDir, "size");
    const { config, geometry } = bundle.manifest;
    const { decoder } = await openSessions(bundle, ["decoder"], { provider: "cpu", intraOpThreads: 1 });
    try {
      const stage = new DecoderStage(decoder, bundle.manifest);
      const rowsPerTarget = geometry.codebookSize * config.hidden_size;
      const targets = 19; // two full runs of 8 and a partial one
      const hidden = float32Tensor([targets * geometry.codebookSize, config.hidden_size]);
      for (let i = 0; i < hidden.data.length; i++) hidden.data[i] = Math.sin(i * 0.37) * 2;
      const features = float32Tensor([2, config.out_dim, geometry.patchGrid, geometry.patchGrid]);
      for (let i = 0; i < features.data.length; i++) features.data[i] = Math.cos(i * 0.11);
      const base = { decoderFeatures: features, resized: [448, 299], original: [300, 200] } as const;
      const decodeOne = async (input: DecodeInput): Promise<DecodeOutput> => {
        const [outcome] = await stage.decode([input]);
        if (!outcome || isFailure(outcome)) throw new Error("decode failed");
        return outcome;
      };
      const together = await decodeOne({ ...base, codebookHidden: hidden });
      expect(together.targets).toHaveLength(targets);
      for (let k = 0; k < targets; k++) {
        const own = float32Tensor(
          [geometry.codebookSize, config.hidden_size],
          hidden.data.slice(k * rowsPerTarget, (k + 1) * rowsPerTarget),
        );
        const [alone] = (await decodeOne({ ...base, codebookHidden: own })).targets;
        const mask = together.targets[k]!;
        expect(mask.mask, `target ${k}`).toEqual(alone!.mask);
        expect(mask.area).toBe(alone!.area);
        expect(Math.abs(mask.score - alone!.score)).toBeLessThanOrEqual(1e-6); // tolerance 1e-6 on a mean sigmoid
      }
    } finally {
      await decoder.release();
    }
  });
});

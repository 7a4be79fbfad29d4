/**
 * Peak memory of one many-target decode, measured in a process of its own so nothing else moves
 * its high-water mark: the decoder stage on a bundle's real decoder.onnx, warmed up with one small
 * decode, then `targets` masks of `height`×`width`. Prints one JSON line:
 * { warmMaxRssBytes, peakMaxRssBytes, growthBytes, maskBytes, targets, ms }.
 *
 *   node --import tsx --conditions=@pixellm/source test/support/decoder-peak-rss.ts \
 *     <bundleDir> <targets> <height> <width>
 */
import { loadBundle } from "@pixellm/bundle";
import { longestSideShape } from "@pixellm/image";
import { float32Tensor } from "@pixellm/tensor";
import { DecoderStage, type DecodeInput, isFailure, openSessions } from "@pixellm/engine";

const [bundleDir, targetsArg, heightArg, widthArg] = process.argv.slice(2);
if (!bundleDir || !targetsArg || !heightArg || !widthArg) {
  throw new Error("usage: decoder-peak-rss.ts <bundleDir> <targets> <height> <width>");
}
const targets = Number(targetsArg);
const original: [number, number] = [Number(heightArg), Number(widthArg)];

const bundle = await loadBundle(bundleDir, "size");
const { config, geometry, preprocessing } = bundle.manifest;
const { decoder } = await openSessions(bundle, ["decoder"], { provider: "cpu", intraOpThreads: 1 });
const stage = new DecoderStage(decoder, bundle.manifest);

/** Codebook states of `count` targets; deterministic values that give masks of varied shapes. */
function input(count: number, size: [number, number]): DecodeInput {
  const rows = count * geometry.codebookSize;
  const hidden = float32Tensor([rows, config.hidden_size]);
  for (let i = 0; i < hidden.data.length; i++) hidden.data[i] = Math.sin(i * 0.37) * 2;
  const features = float32Tensor([2, config.out_dim, geometry.patchGrid, geometry.patchGrid]);
  for (let i = 0; i < features.data.length; i++) features.data[i] = Math.cos(i * 0.11);
  return {
    codebookHidden: hidden,
    decoderFeatures: features,
    resized: longestSideShape(size[0], size[1], preprocessing.imageSize),
    original: size,
  };
}

async function decode(count: number, size: [number, number]): Promise<number> {
  const [outcome] = await stage.decode([input(count, size)]);
  if (!outcome || isFailure(outcome)) throw new Error("the decode failed");
  return outcome.targets.length;
}

await decode(1, [64, 64]);
// The inputs of the measured decode are made before the baseline is read.
const measured = input(targets, original);
const warmMaxRssBytes = process.resourceUsage().maxRSS * 1024;
const started = Date.now();
const [outcome] = await stage.decode([measured]);
const ms = Date.now() - started;
if (!outcome || isFailure(outcome) || outcome.targets.length !== targets)
  throw new Error("the measured decode did not make every mask");
const peakMaxRssBytes = process.resourceUsage().maxRSS * 1024;
await decoder.release();
console.log(
  JSON.stringify({
    warmMaxRssBytes,
    peakMaxRssBytes,
    growthBytes: peakMaxRssBytes - warmMaxRssBytes,
    maskBytes: original[0] * original[1],
    targets,
    ms,
  }),
);

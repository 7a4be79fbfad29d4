/**
 * The golden test of the engine: on the tiny bundle, for several images and prompts, its ids,
 * codebook hidden states and masks equal a plain implementation of the official algorithm
 * (packages/reference: no KV cache, the whole sequence recomputed at every step, as the
 * official `evaluate` does).
 */
import { PixelLMEngine, type PreparedImage, type SegmentResult, prepareImage } from "@pixellm/engine";
import { decodeRle, rleCountsFromString } from "@pixellm/image";
import { type ReferenceModel, encodeImage, evaluate, evaluateTeacherForced } from "@pixellm/reference";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shapesImage } from "../support/images";
import { loadReference, maxAbsDiff } from "../support/reference-model";
import { makeTinyBundle } from "../support/tiny-bundle";

/** Hidden states and logits: float32 through different summation orders. */
const TOLERANCE = 1e-4;
/** Mask pixels may flip only where the reference logit is this close to the 0 threshold. */
const THRESHOLD_BAND = 1e-3;

let engine: PixelLMEngine;
let reference: ReferenceModel;

beforeAll(async () => {
  const tiny = await makeTinyBundle({ seed: 5 });
  engine = await PixelLMEngine.load(tiny.bundleDir);
  reference = await loadReference(tiny.checkpointDir, tiny.visionTowerDir);
}, 180_000);

afterAll(async () => {
  await engine?.close();
});

function expectMasksEqual(
  result: SegmentResult,
  logits: Float32Array,
  original: readonly [number, number],
): void {
  const [H, W] = original;
  result.targets.forEach((target, n) => {
    const mask = decodeRle({ size: [H, W], counts: rleCountsFromString(target.mask.counts) });
    let flipped = 0;
    for (let p = 0; p < H * W; p++) {
      const ref = logits[n * H * W + p]!;
      if ((ref > 0 ? 1 : 0) !== mask[p]) {
        expect(Math.abs(ref)).toBeLessThan(THRESHOLD_BAND);
        flipped++;
      }
    }
    expect(flipped).toBeLessThanOrEqual(2);
  });
}

/** A prepared image as the reference's evaluate functions take it. */
function referenceImage(prepared: PreparedImage) {
  return {
    pixelValues: prepared.pixelValues.data,
    resizedSize: prepared.resized,
    originalSize: prepared.original,
  };
}

/** The official `evaluate` (greedy generation) on the same image and prompt as the engine. */
function referenceGeneration(prepared: PreparedImage, promptIds: readonly number[], maxNewTokens: number) {
  return evaluate(reference, {
    ...referenceImage(prepared),
    promptIds,
    segTokenIds: engine.bundle.manifest.tokens.seg,
    eosTokenId: engine.bundle.manifest.tokens.eos,
    maxNewTokens,
  });
}

const cases: [string, [number, number, "png" | "jpeg" | "webp"], string][] = [
  ["landscape PNG", [640, 427, "png"], "Please segment the red ball."],
  ["portrait JPEG", [300, 500, "jpeg"], "Where is the blue box?"],
  ["wide WebP", [900, 160, "webp"], "What is in the image? Please output segmentation mask."],
  ["small PNG, upscaled", [60, 45, "png"], "Segment the circle."],
];

describe("engine vs the official algorithm", () => {
  it.each(cases)("%s: ids, codebook hidden states and masks", async (_, [width, height, format], query) => {
    const image = await shapesImage(width, height, format, width % 3);
    const result = await engine.segment({ image, query });
    const prepared = await prepareImage(image);
    const ref = referenceGeneration(prepared, result.promptIds, 512);
    expect(result.outputIds).toEqual(ref.generatedIds);
    expect(result.tensors.codebookHidden.shape).toEqual(ref.segHidden.shape);
    expect(maxAbsDiff(result.tensors.codebookHidden.data, ref.segHidden.data)).toBeLessThanOrEqual(TOLERANCE);
    expect(result.targets.length).toBe(ref.lowResMasks.shape[0]);
    expect(result.targets.length).toBeGreaterThan(0); // the tiny model answers with a codebook group
    expect(maxAbsDiff(result.tensors.lowResLogits.data, ref.lowResMasks.data)).toBeLessThanOrEqual(TOLERANCE);
    expectMasksEqual(result, ref.masks.data, prepared.original);
    result.targets.forEach((t, n) =>
      expect(Math.abs(t.score - ref.scores.data[n]!)).toBeLessThanOrEqual(TOLERANCE),
    );
  });

  it("stops at max_new_tokens mid-group and drops the masks, as evaluate does", async () => {
    const image = await shapesImage(320, 240);
    const result = await engine.segment({ image, query: "Segment the ball.", maxNewTokens: 7 });
    const prepared = await prepareImage(image);
    const ref = referenceGeneration(prepared, result.promptIds, 7);
    expect(result.outputIds).toEqual(ref.generatedIds);
    expect(result.finishReason).toBe("length");
    expect(ref.segTokenCount).toBeGreaterThan(0);
    expect(ref.segTokenCount % 6).not.toBe(0);
    expect(result.masksDropped).toBe(true);
    expect(result.targets).toEqual([]);
    expect(result.text).toContain("[SEG0]"); // without masks, the raw tokens stay in the text
  });

  it("teacher forcing (the RefCOCO evaluation): two targets given in the answer", async () => {
    const image = await shapesImage(500, 375, "png", 1);
    const seg = engine.bundle.manifest.tokens.seg;
    const tok = engine.tokenizer;
    const answerIds = [
      ...tok.encode("The ball", { addSpecialTokens: false }),
      ...seg,
      ...tok.encode("and the box", { addSpecialTokens: false }),
      ...seg,
      tok.pieceToId("."),
      tok.eosId!,
    ];
    const promptIds = engine.promptIds("Segment the ball and the box.");
    const result = await engine.segment({ image, promptIds, answerIds });
    const prepared = await prepareImage(image);
    const vision = encodeImage(reference, prepared.pixelValues.data, prepared.resized);
    const ref = evaluateTeacherForced(
      reference,
      {
        ...referenceImage(prepared),
        ids: [...promptIds, ...answerIds],
        segTokenIds: seg,
      },
      { vision },
    );
    expect(result.finishReason).toBe("teacher_forced");
    expect(result.outputIds).toEqual(answerIds);
    expect(result.targets.length).toBe(2);
    expect(maxAbsDiff(result.tensors.codebookHidden.data, ref.segHidden.data)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(result.tensors.lowResLogits.data, ref.lowResMasks.data)).toBeLessThanOrEqual(TOLERANCE);
    expectMasksEqual(result, ref.masks.data, prepared.original);
    expect(result.text).toBe("The ball <mask:0> and the box <mask:1> .");
    expect(result.targets.map((t) => result.text.slice(...t.span!))).toEqual(["<mask:0>", "<mask:1>"]);
  });
});

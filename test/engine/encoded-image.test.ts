/**
 * An image encoded once serves every question about it: `segment` given `encodeImage`'s result
 * answers exactly as given the bytes, and `pixellm eval`'s in-process segmenter encodes each
 * image once for all of its questions (concurrent ones included).
 */
import { PixelLMEngine } from "@pixellm/engine";
import { EVAL_MAX_NEW_TOKENS } from "@pixellm/muse";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { engineSegmenter } from "../../packages/cli/src/eval/engine-segmenter";
import { shapesImage } from "../support/images";
import { type TinyBundle, makeTinyBundle } from "../support/tiny-bundle";

let tiny: TinyBundle;
let engine: PixelLMEngine;
let images: Uint8Array[];

beforeAll(async () => {
  tiny = await makeTinyBundle({ seed: 5 });
  engine = await PixelLMEngine.load(tiny.bundleDir);
  images = [await shapesImage(240, 160, "png", 1), await shapesImage(150, 210, "jpeg", 2)];
}, 180_000);

afterAll(async () => {
  await engine?.close();
});

const QUERIES = ["Segment the ball.", "Where is the box?"];

it("answers from an encoded image exactly as from its bytes, for each of its questions", async () => {
  const encoded = await engine.encodeImage(images[0]!);
  for (const query of QUERIES) {
    const fromBytes = await engine.segment({ image: images[0]!, query, maxNewTokens: 24 });
    const fromEncoded = await engine.segment({ image: encoded, query, maxNewTokens: 24 });
    // The same graphs on the same inputs, one request at a time: equal, not merely close.
    expect(fromEncoded.outputIds).toEqual(fromBytes.outputIds);
    expect(fromEncoded.text).toBe(fromBytes.text);
    expect(fromEncoded.image).toEqual(fromBytes.image);
    expect(fromEncoded.targets.map((t) => t.mask)).toEqual(fromBytes.targets.map((t) => t.mask));
    expect(fromEncoded.tensors.codebookHidden.data).toEqual(fromBytes.tensors.codebookHidden.data);
    // This request spent nothing on the image; the encoding reports its own cost.
    expect(fromEncoded.timings).toMatchObject({ imageMs: 0, visionMs: 0 });
    expect(fromBytes.timings.visionMs).toBeGreaterThan(0);
  }
  expect(encoded.timings.visionMs).toBeGreaterThan(0);
});

it("pixellm eval's in-process segmenter encodes each image once for all its questions", async () => {
  const encodeImage = vi.spyOn(PixelLMEngine.prototype, "encodeImage");
  const segmenter = await engineSegmenter(tiny.bundleDir);
  try {
    // Two images, two questions each, all four at once (as --concurrency 4 would send them).
    const asked = images.flatMap((image) => QUERIES.map((query) => ({ image, query })));
    const answers = await Promise.all(asked.map(({ image, query }) => segmenter.segment(image, query)));
    expect(encodeImage).toHaveBeenCalledTimes(2);
    // A copy of the bytes is the same image: found by content, not by identity.
    await segmenter.segment(Uint8Array.from(images[1]!), QUERIES[0]!);
    expect(encodeImage).toHaveBeenCalledTimes(2);

    for (const [k, { image, query }] of asked.entries()) {
      const alone = await engine.segment({ image, query, maxNewTokens: EVAL_MAX_NEW_TOKENS });
      expect(answers[k]!.text, query).toBe(alone.text);
      expect(answers[k]!.masks).toEqual(alone.targets.map((t) => t.mask));
    }
  } finally {
    encodeImage.mockRestore();
    await segmenter.close();
  }
});

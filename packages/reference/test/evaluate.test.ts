/** The evaluate loop's control flow on the tiny checkpoint: eos, SEG counting, the multiple-of-6 rule. */
import { beforeAll, describe, expect, it } from "vitest";
import {
  ReferenceModelError,
  encodeImage,
  evaluate,
  evaluateTeacherForced,
  fuseSegTokens,
  loadReferenceModel,
  segHiddenPositions,
  type EvaluateInput,
  type ReferenceModel,
  type VisionOutput,
  type WeightSource,
} from "../src";
import {
  EOS_ID,
  EVALUATE_PROMPT,
  FIXTURE_ORIGINAL,
  FIXTURE_RESIZED,
  TEACHER_IDS,
  fixturePixels,
} from "./support/fixture-inputs";
import { TINY_SEG_IDS } from "./support/tiny-checkpoint";
import { loadTinyModel } from "./support/tiny-model";

let model: ReferenceModel;
let vision: VisionOutput;
let input: EvaluateInput;
const SEG: readonly number[] = [...TINY_SEG_IDS];

beforeAll(async () => {
  ({ model } = await loadTinyModel());
  const pixelValues = fixturePixels();
  vision = encodeImage(model, pixelValues, FIXTURE_RESIZED);
  input = {
    pixelValues,
    resizedSize: FIXTURE_RESIZED,
    originalSize: FIXTURE_ORIGINAL,
    promptIds: EVALUATE_PROMPT,
    segTokenIds: SEG,
    eosTokenId: EOS_ID,
    maxNewTokens: 8,
  };
});

describe("evaluate", () => {
  it("stops at eos, and drops a SEG count that is not a multiple of 6", () => {
    const free = evaluate(model, { ...input, eosTokenId: -1 }, { vision });
    expect(free.generatedIds).toHaveLength(8);
    const eos = free.generatedIds[3]!;
    expect(free.generatedIds.slice(0, 3)).not.toContain(eos);
    const stopped = evaluate(model, { ...input, eosTokenId: eos }, { vision });
    expect(stopped.generatedIds).toEqual(free.generatedIds.slice(0, 4));
    // the last step fed everything but the eos: len(outputIds) − 1 + 255 positions
    expect(stopped.hiddenStates.shape).toEqual([stopped.outputIds.length + 254, model.config.hidden_size]);
    const segs = stopped.generatedIds.filter((id) => SEG.includes(id)).length;
    expect(segs % 6).not.toBe(0);
    expect(stopped.segTokenCount).toBe(segs);
    expect(stopped.segHidden.shape).toEqual([0, model.config.hidden_size]);
    expect(stopped.masks.shape).toEqual([0, ...FIXTURE_ORIGINAL]);
  });

  it("counts SEG ids in the prompt too, shifted onto the position before each", () => {
    const promptIds = [...EVALUATE_PROMPT.slice(0, -1), ...SEG, EVALUATE_PROMPT.at(-1)!];
    const result = evaluate(model, { ...input, promptIds, maxNewTokens: 2 }, { vision });
    const generatedSegs = result.generatedIds.filter((id) => SEG.includes(id)).length;
    expect(result.segTokenCount).toBe(6 + generatedSegs);
    expect(segHiddenPositions(result.outputIds, SEG).slice(0, 6)).toEqual(
      SEG.map((_, i) => 255 + EVALUATE_PROMPT.length - 2 + i),
    );
  });

  it("truncates the prompt at its first 0, as evaluate() does", () => {
    const plain = evaluate(model, { ...input, maxNewTokens: 2 }, { vision });
    const padded = evaluate(
      model,
      { ...input, promptIds: [...EVALUATE_PROMPT, 0, 0, 5], maxNewTokens: 2 },
      { vision },
    );
    expect(padded.outputIds).toEqual(plain.outputIds);
  });

  it("gives identical results when CLIP re-runs at every step", () => {
    const once = evaluate(model, { ...input, maxNewTokens: 1 }, { vision });
    const rerun = evaluate(model, { ...input, maxNewTokens: 1 }, { vision, rerunVisionEachStep: true });
    expect(rerun.outputIds).toEqual(once.outputIds);
    expect(rerun.hiddenStates.data).toEqual(once.hiddenStates.data);
  });

  it("rejects prompts without exactly one image placeholder, and bad sizes", () => {
    expect(() => evaluate(model, { ...input, promptIds: [1, 5, 6] }, { vision })).toThrow(
      ReferenceModelError,
    );
    expect(() => evaluate(model, { ...input, promptIds: [1, -200, 5, -200] }, { vision })).toThrow(
      /exactly one/,
    );
    expect(() => evaluate(model, { ...input, maxNewTokens: 0 }, { vision })).toThrow(/maxNewTokens/);
    expect(() => encodeImage(model, new Float32Array(10), FIXTURE_RESIZED)).toThrow(/pixel values/);
    expect(() => encodeImage(model, input.pixelValues, [449, 10])).toThrow(/resized size/);
  });
});

describe("teacher forcing", () => {
  it("refuses a SEG count that is not a multiple of 6", () => {
    const ids = [...TEACHER_IDS.slice(0, -1), SEG[0]!, 2];
    const run = () =>
      evaluateTeacherForced(
        model,
        {
          pixelValues: input.pixelValues,
          resizedSize: FIXTURE_RESIZED,
          originalSize: FIXTURE_ORIGINAL,
          ids,
          segTokenIds: SEG,
        },
        { vision },
      );
    expect(run).toThrow(ReferenceModelError);
    expect(run).toThrow(/13 SEG tokens/);
  });
});

describe("SEG grouping", () => {
  it("fuses tokens 1-3 into scale 0 and 4-6 into scale 1, with weight float32(1/3)", () => {
    // one target, width 1
    const fused = fuseSegTokens(Float32Array.from([1, 2, 3, 4, 5, 6]), 1, 3);
    const third = Math.fround(1 / 3);
    const expected = (a: number, b: number, c: number) =>
      Math.fround(Math.fround(Math.fround(third * a) + Math.fround(third * b)) + Math.fround(third * c));
    expect([...fused]).toEqual([expected(1, 2, 3), expected(4, 5, 6)]);
    expect(() => fuseSegTokens(new Float32Array(7), 1, 3)).toThrow(/multiple of 6/);
  });

  it("maps the i-th SEG id after the image to hidden position 255 + i − 1", () => {
    expect(segHiddenPositions([1, 12, -200, 96, 7, 101, 96], [96, 101])).toEqual([257, 259, 260]);
  });
});

describe("weights", () => {
  it("names the tensor whose shape does not fit the config", async () => {
    const source: WeightSource = {
      info: () => ({ shape: [3, 3] }),
      readFloat32: () => Promise.resolve(new Float32Array(9)),
    };
    await expect(
      loadReferenceModel({ checkpoint: source, visionTower: source, config: model.config, clip: model.clip }),
    ).rejects.toThrow(/vision_model\.embeddings\.position_embedding\.weight has shape \[3,3\]/);
  });
});

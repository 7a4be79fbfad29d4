/**
 * The evaluation loop around a fake model (the QuestionSegmenter interface): answers that equal
 * the ground truth score 1, a failing question is kept with its error and scored as no masks,
 * concurrency is respected, and an image of the wrong size stops the run with a clear error.
 */
import path from "node:path";
import { encodeCocoRle } from "@pixellm/image";
import { type MuseRecord, loadMuseFile, targetMask } from "@pixellm/muse";
import { beforeAll, describe, expect, it } from "vitest";
import { summarize } from "../src/eval/eval-summary";
import type { QuestionSegmenter, SegmentedAnswer } from "../src/eval/question-segmenter";
import { runEval } from "../src/eval/run-eval";

const MINI = path.join(import.meta.dirname, "../../../examples/muse-mini");

let records: MuseRecord[];
beforeAll(async () => {
  records = await loadMuseFile(path.join(MINI, "muse.json"));
});

/** The ground truth of a question as a model would return it. */
function perfectAnswer(record: MuseRecord, question: number): SegmentedAnswer {
  const { height, width } = record;
  return {
    text: "",
    image: { width, height },
    masks: record.questions[question]!.targets.map((t) =>
      encodeCocoRle(targetMask(t.segmentation, height, width), height, width),
    ),
  };
}

/** Answers perfectly, except where `misbehave` says otherwise; tracks the calls in flight. */
function fakeSegmenter(
  misbehave: (record: MuseRecord, question: number) => SegmentedAnswer | Error | undefined,
) {
  const stats = { inFlight: 0, maxInFlight: 0, calls: 0 };
  const byPrompt = new Map<string, [MuseRecord, number]>();
  for (const r of records) r.questions.forEach((q) => byPrompt.set(q.text, [r, q.index]));
  const segmenter: QuestionSegmenter = {
    description: "fake",
    async segment(_image, query) {
      stats.calls++;
      stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      stats.inFlight--;
      const [record, question] = byPrompt.get(
        query.replace(/ Please (respond with|output) segmentation mask\.$/, ""),
      )!;
      const special = misbehave(record, question);
      if (special instanceof Error) throw special;
      return special ?? perfectAnswer(record, question);
    },
    close: () => Promise.resolve(),
  };
  return { segmenter, stats };
}

/** runEval over the mini file, two questions at a time unless `options` says otherwise. */
function evalMini(segmenter: QuestionSegmenter, options: Partial<Parameters<typeof runEval>[0]> = {}) {
  return runEval({
    records,
    imagesDir: path.join(MINI, "images"),
    segmenter,
    concurrency: 2,
    seed: 0,
    ...options,
  });
}

describe("runEval", () => {
  it("scores ground-truth answers 1, keeps failures, and respects the concurrency", async () => {
    const { segmenter, stats } = fakeSegmenter((record, question) =>
      record.index === 1 && question === 1 ? new Error("deadline exceeded") : undefined,
    );
    const progress: number[] = [];
    const run = await evalMini(segmenter, {
      concurrency: 3,
      onProgress: (done, _total, failed) => progress.push(done * 100 + failed),
    });
    expect(stats.calls).toBe(10);
    expect(stats.maxInFlight).toBe(3);
    expect(progress.at(-1)).toBe(1001);
    expect(run.outcomes.map((o) => `${o.record}.${o.question}`)).toEqual([
      "0.0",
      "0.1",
      "1.0",
      "1.1",
      "2.0",
      "2.1",
      "3.0",
      "3.1",
      "4.0",
      "5.0",
    ]);
    const failed = run.outcomes[3]!;
    expect(failed.error).toBe("deadline exceeded");
    // Its 3 targets are paired with empty predictions: IoU 0, union = their areas.
    expect(failed.score.pairs.map((p) => [p.prediction, p.iou])).toEqual([
      [null, 0],
      [null, 0],
      [null, 0],
    ]);
    for (const o of run.outcomes.filter((o) => !o.error && o.record !== 4)) {
      for (const pair of o.score.pairs) expect(pair.intersection).toBe(pair.union);
    }
    // The cross is two overlapping polygon parts: its 30x30 centre sums to 2, which the official
    // histc leaves out of the target, so even the exact mask loses those pixels.
    const [cross] = run.outcomes[8]!.score.pairs;
    expect(cross!.union - cross!.intersection).toBe(30 * 30);
    const summary = summarize(run);
    expect(summary.failed).toBe(1);
    // Image 1 holds 2 + 3 targets and 2 answered masks: max_num 5, of which 3 pairs score 0.
    expect(summary.overall.gIoU).toBeLessThan(1);
    expect(summary.fewTargets.gIoU).toBeLessThan(1);
    expect(summary.manyTargets.gIoU).toBeCloseTo(1, 4);
  });

  it("tells how many answers say what the file's reference answers say", async () => {
    // Every question of the mini file has a reference; the fake model says it, with the
    // pipeline's placeholders, except for record 0 (an answer naming something else).
    const { segmenter } = fakeSegmenter((record, question) => {
      const perfect = perfectAnswer(record, question);
      let k = 0;
      const said = record.questions[question]!.textAnswer!.replace(/\{seg\}/g, () => ` <mask:${k++}> `);
      return { ...perfect, text: record.index === 0 ? "Sure, something else <mask:0> ." : said };
    });
    const run = await evalMini(segmenter);
    expect(run.outcomes.map((o) => o.matchesReference)).toEqual([
      false,
      false,
      ...Array<boolean>(8).fill(true),
    ]);
    expect(run.outcomes[2]!.referenceAnswer).toBe("{seg} and {seg} are round.");
    const summary = summarize(run);
    expect(summary.overall.referenceAgreement).toBeCloseTo(8 / 10, 12);
    // Record 0's questions have 1 and 2 targets, beside four other 1-target questions and one
    // other 2-target question, which agree.
    const byTargets = Object.fromEntries(
      summary.byTargets.map((g) => [g.targets, g.summary.referenceAgreement]),
    );
    expect(byTargets[1]).toBeCloseTo(4 / 5, 12);
    expect(byTargets[2]).toBeCloseTo(1 / 2, 12);
    expect(byTargets[5]).toBe(1);
  });

  it("evaluates only the first --limit questions", async () => {
    const { segmenter, stats } = fakeSegmenter(() => undefined);
    const run = await evalMini(segmenter, { limit: 3 });
    expect(stats.calls).toBe(3);
    expect(run.outcomes.map((o) => `${o.record}.${o.question}`)).toEqual(["0.0", "0.1", "1.0"]);
    expect(summarize(run).overall.gIoU).toBeCloseTo(1, 4);
  });

  it("stops with a clear error when an image is not the record's size", async () => {
    const { segmenter } = fakeSegmenter((record, question) =>
      record.index === 2
        ? { ...perfectAnswer(record, question), image: { width: 10, height: 10 } }
        : undefined,
    );
    await expect(evalMini(segmenter)).rejects.toThrow(
      "record 2 (scene-03.png): the image is 10x10 (width x height) but the record says 400x180",
    );
  });
});

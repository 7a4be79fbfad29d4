/**
 * The metric against hand-computed answers and against the independent Python reference
 * (scripts/reference/muse_metric.py: numpy + scipy's linear_sum_assignment), on the committed
 * cases and on seeded random ones (ties included: small binary masks repeat often).
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { streamSeed, uniformStream } from "@pixellm/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PairScore } from "../src";
import {
  type CaseResult,
  type MaskRows,
  type MetricCase,
  pythonScores,
  scoreCase,
} from "./support/metric-cases";

/** Both sides compute in float64 from integer pixel counts; 1e-6 is the bound. */
const TOLERANCE = 1e-6;

interface FixtureCase extends MetricCase {
  readonly why: string;
  readonly expected: { gIoU: number; cIoU: number; pairs: PairScore[][] };
}

const fixture = JSON.parse(readFileSync(new URL("fixtures/metric-cases.json", import.meta.url), "utf8")) as {
  cases: FixtureCase[];
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "pixellm-muse-metric-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function expectSameScores(actual: CaseResult, expected: Omit<CaseResult, "name">): void {
  expect(Math.abs(actual.gIoU - expected.gIoU), "gIoU").toBeLessThanOrEqual(TOLERANCE);
  expect(Math.abs(actual.cIoU - expected.cIoU), "cIoU").toBeLessThanOrEqual(TOLERANCE);
  expect(actual.questions.length).toBe(expected.questions.length);
  actual.questions.forEach((pairs, q) => {
    const reference = expected.questions[q]!;
    // Indices, intersections and unions are integers: exactly equal; IoUs within the tolerance.
    expect(
      pairs.map(({ iou: _, ...counts }) => counts),
      `question ${q} pairs`,
    ).toEqual(reference.map(({ iou: _, ...counts }) => counts));
    pairs.forEach((pair, k) => expect(Math.abs(pair.iou - reference[k]!.iou)).toBeLessThanOrEqual(TOLERANCE));
  });
}

describe("MUSE metric, hand-checked cases", () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectSameScores(scoreCase(c), { ...c.expected, questions: c.expected.pairs });
  });

  it("agrees with the Python reference on every case", async () => {
    const python = await pythonScores(fixture.cases, dir);
    fixture.cases.forEach((c, i) => expectSameScores(scoreCase(c), python[i]!));
  });
});

/** Seeded random records: odd sizes, 0–4 predictions and 0–3 targets per question, part counts up to 2 and some 255s. */
function randomCases(count: number, seed: number): MetricCase[] {
  const draw = uniformStream(streamSeed(seed, "muse-random-cases"));
  const int = (lo: number, hi: number) => lo + Math.floor(draw() * (hi - lo + 1));
  const mask = (h: number, w: number, value: () => number): MaskRows =>
    Array.from({ length: h }, () => Array.from({ length: w }, value));
  return Array.from({ length: count }, (_, n) => ({
    name: `random ${n}`,
    records: Array.from({ length: int(1, 3) }, () => {
      const [h, w] = [int(1, 7), int(1, 7)];
      const density = draw();
      return {
        questions: Array.from({ length: int(1, 3) }, () => ({
          predictions: Array.from({ length: int(0, 4) }, () => mask(h, w, () => (draw() < density ? 1 : 0))),
          targets: Array.from({ length: int(0, 3) }, () =>
            mask(h, w, () => {
              const u = draw();
              return u < 0.02 ? 255 : u < 0.1 ? 2 : u < 0.5 ? 1 : 0;
            }),
          ),
        })),
      };
    }),
  }));
}

describe("MUSE metric, random cases", () => {
  it("agrees with the Python reference on 200 seeded random cases", async () => {
    const cases = randomCases(200, 9);
    const python = await pythonScores(cases, dir);
    cases.forEach((c, i) => expectSameScores(scoreCase(c), python[i]!));
  });
});

/**
 * `pixellm eval` end to end on the hand-made MUSE file (examples/muse-mini) with the tiny
 * generated model: the report's structure, scores in range, and the same per-question IoUs
 * in-process and through a real distributed deployment (gateway, Redis, stage processes on
 * loopback, async jobs). The tiny model's random weights score near 0.
 */
import { readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STACK_FRAME, pixellm } from "../support/cli";
import { type TestDeployment, startTestDeployment } from "../support/deployment";
import { tempDir } from "../support/tiny-bundle";

const MINI = path.join(import.meta.dirname, "../../examples/muse-mini");
const DATA = path.join(MINI, "muse.json");
const IMAGES = path.join(MINI, "images");
const PNG_MAGIC = "89504e470d0a1a0a";

interface Summary {
  settings: { model: string; concurrency: number; maxNewTokens: number; seed: number };
  questions: number;
  overall: {
    gIoU: number;
    cIoU: number;
    questions: number;
    targets: number;
    images: number;
    referenceAgreement: number | null;
  };
  fewTargets: { questions: number };
  manyTargets: { questions: number };
  byTargets: { targets: number; summary: { questions: number } }[];
  failed: number;
  questionsPerSecond: number;
  worst: { file: string; iou: number }[];
}

interface Question {
  record: number;
  question: number;
  prompt: string;
  referenceAnswer?: string;
  matchesReference?: boolean;
  targets: number;
  predictions: number;
  iou: number | null;
  pairs: {
    prediction: number | null;
    target: number | null;
    intersection: number;
    union: number;
    iou: number;
  }[];
}

let env: TestDeployment;
let work: string;

beforeAll(async () => {
  env = await startTestDeployment({ replicas: 1, gateways: 1 });
  work = await tempDir("eval");
}, 240_000);

afterAll(async () => {
  await env?.deployment.stop();
});

async function report(dir: string): Promise<{ summary: Summary; questions: Question[] }> {
  const read = async (file: string) => JSON.parse(await readFile(path.join(dir, file), "utf8")) as unknown;
  return {
    summary: (await read("summary.json")) as Summary,
    questions: (await read("questions.json")) as Question[],
  };
}

/** `pixellm eval` of the muse-mini file into `out`. */
function evalMini(out: string, ...args: string[]) {
  return pixellm(["eval", "--data", DATA, "--images", IMAGES, "--out", out, ...args]);
}

describe("pixellm eval", () => {
  let inProcess: { summary: Summary; questions: Question[] };

  it("scores every question in-process and writes the report", async () => {
    const out = path.join(work, "in-process");
    const result = await evalMini(out, "--model", env.tiny.bundleDir, "--concurrency", "3");
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(result.code, result.stderr).toBe(0);
    // The last column, answers that say the file's reference answers: none of the tiny model's.
    expect(result.stdout).toMatch(/answer = reference$/m);
    expect(result.stdout).toMatch(/^all\s+10\s+21\s+0\.\d{4}\s+0\.\d{4}\s+0\.000$/m);
    expect(result.stdout).toMatch(/^many \(> 3 targets\)\s+2\s+9\s/m);
    inProcess = await report(out);
    const { summary, questions } = inProcess;
    expect(summary.settings).toMatchObject({ concurrency: 3, maxNewTokens: 512, seed: 0 });
    expect(summary.overall).toMatchObject({ questions: 10, targets: 21, images: 6 });
    expect(summary.failed).toBe(0);
    expect(summary.fewTargets.questions + summary.manyTargets.questions).toBe(10);
    expect(summary.byTargets.map((b) => [b.targets, b.summary.questions])).toEqual([
      [1, 5],
      [2, 2],
      [3, 1],
      [4, 1],
      [5, 1],
    ]);
    // Random weights: near 0, but a real number.
    for (const score of [summary.overall.gIoU, summary.overall.cIoU]) {
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThan(0.3);
    }
    expect(summary.questionsPerSecond).toBeGreaterThan(0);
    expect(summary.overall.referenceAgreement).toBe(0);
    expect(questions.map((q) => [q.record, q.question])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [2, 0],
      [2, 1],
      [3, 0],
      [3, 1],
      [4, 0],
      [5, 0],
    ]);
    for (const q of questions) {
      expect(q.prompt).toMatch(/ Please (respond with|output) segmentation mask\.$/);
      expect(q.referenceAnswer).toContain("{seg}");
      expect(q.matchesReference).toBe(false);
      // The tiny model's planted answer has one codebook group: one mask per question.
      expect(q.predictions).toBe(1);
      expect(q.pairs).toHaveLength(Math.max(q.targets, q.predictions));
      for (const pair of q.pairs) {
        expect(pair.intersection).toBeLessThanOrEqual(pair.union);
        expect(pair.iou).toBeGreaterThanOrEqual(0);
        expect(pair.iou).toBeLessThanOrEqual(1);
      }
    }
    // Overlays of the 8 worst questions, worst first.
    const overlays = (await readdir(path.join(out, "overlays"))).sort();
    expect(overlays).toHaveLength(8);
    expect(summary.worst.map((w) => w.file)).toEqual(overlays);
    expect([...summary.worst.map((w) => w.iou)]).toEqual(
      [...summary.worst.map((w) => w.iou)].sort((a, b) => a - b),
    );
    const png = await readFile(path.join(out, "overlays", overlays[0]!));
    expect(png.subarray(0, 8).toString("hex")).toBe(PNG_MAGIC);
  }, 120_000);

  it("gives the same per-question IoUs through the gateway's async jobs", async () => {
    const out = path.join(work, "gateway");
    const address = env.deployment.gatewayAddresses[0]!;
    const result = await evalMini(out, "--address", address, "--concurrency", "4");
    expect(result.code, result.stderr).toBe(0);
    const { summary, questions } = await report(out);
    expect(summary.settings.model).toBe(`gateway ${address} (async jobs)`);
    expect(questions.map(({ pairs, iou, prompt }) => ({ pairs, iou, prompt }))).toEqual(
      inProcess.questions.map(({ pairs, iou, prompt }) => ({ pairs, iou, prompt })),
    );
    expect(summary.overall).toEqual(inProcess.summary.overall);
  }, 120_000);

  it("reports bad input without a stack trace", async () => {
    const broken = path.join(work, "broken.json");
    await writeFile(broken, "[{");
    const missing = path.join(work, "missing.json");
    const [first] = JSON.parse(await readFile(DATA, "utf8")) as Record<string, unknown>[];
    await writeFile(missing, JSON.stringify([{ ...first, file_name: "nowhere.png" }]));
    const model = ["--model", env.tiny.bundleDir];
    const cases: [string[], RegExp][] = [
      [["--data", broken, "--images", IMAGES, ...model], /broken\.json is not valid JSON/],
      [
        ["--data", missing, "--images", IMAGES, ...model],
        /record 0: image nowhere\.png not found; looked for .*nowhere\.png and .*train2014\/nowhere\.png/,
      ],
      [
        ["--data", DATA, "--images", IMAGES, "--address", "127.0.0.1:1", ...model],
        /give --address \(a gateway\) or --model \(in-process\), not both/,
      ],
      [["--images", IMAGES, ...model], /eval needs --data FILE\.json and --images DIR/],
    ];
    for (const [args, message] of cases) {
      const result = await pixellm(["eval", ...args, "--out", path.join(work, "bad")]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    }
  }, 120_000);

  it("stops at once when the gateway cannot be reached", async () => {
    const result = await evalMini(path.join(work, "unreachable"), "--address", "127.0.0.1:1");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^pixellm eval: UNAVAILABLE: .*ECONNREFUSED 127\.0\.0\.1:1/m);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  }, 60_000);
});

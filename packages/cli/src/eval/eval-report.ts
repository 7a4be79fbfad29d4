/**
 * The report of `pixellm eval` in its output directory:
 *   summary.json    scores (overall, few/many targets, per number of targets), counts, speed, settings
 *   questions.json  every question: prompt, answer (and the file's reference answer, with whether they
 *                   agree), matched pairs with their I, U and IoU, errors
 *   overlays/       the worst questions, prediction beside ground truth
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { FEW_TARGETS_MAX, type MuseRecord, TIE_TOLERANCE } from "@pixellm/muse";
import { type EvalSummary, questionIou } from "./eval-summary";
import type { EvalRun } from "./run-eval";
import { type WorstCase, writeWorstOverlays } from "./worst-overlays";

export interface ReportSettings {
  readonly data: string;
  readonly images: string;
  readonly model: string;
  readonly concurrency: number;
  readonly limit: number | null;
  readonly seed: number;
  readonly maxNewTokens: number;
}

export async function writeEvalReport(
  dir: string,
  settings: ReportSettings,
  records: readonly MuseRecord[],
  run: EvalRun,
  summary: EvalSummary,
  overlays: number,
): Promise<WorstCase[]> {
  await mkdir(dir, { recursive: true });
  const worst = await writeWorstOverlays(path.join(dir, "overlays"), records, run.outcomes, overlays);
  const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";
  await writeFile(
    path.join(dir, "summary.json"),
    json({
      settings,
      metric: {
        definition: "gIoU and cIoU of ar_validate (PixelLM train_ds.py); see README, Evaluation",
        fewTargetsMax: FEW_TARGETS_MAX,
        tieTolerance: TIE_TOLERANCE,
      },
      questions: run.outcomes.length,
      ...summary,
      worst,
    }),
  );
  await writeFile(
    path.join(dir, "questions.json"),
    json(
      run.outcomes.map((o) => ({
        record: o.record,
        question: o.question,
        image: o.imageName,
        ...(o.family !== undefined ? { family: o.family } : {}),
        prompt: o.prompt,
        answer: o.answer,
        ...(o.referenceAnswer !== undefined
          ? { referenceAnswer: o.referenceAnswer, matchesReference: o.matchesReference }
          : {}),
        ...(o.error !== undefined ? { error: o.error } : {}),
        targets: o.score.targets,
        predictions: o.score.predictions,
        iou: questionIou(o.score),
        pairs: o.score.pairs,
        seconds: o.seconds,
      })),
    ),
  );
  return worst;
}

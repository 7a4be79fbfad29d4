/**
 * The scores of a run: overall, "few" and "many" targets (FEW_TARGETS_MAX), per number of
 * targets, and per question family when the file names them. Each breakdown applies the
 * official per-image formula to the image's questions in that group, as if the file held only
 * those questions. Images are added in file order, so the sums (and their last bits) do not
 * depend on the order answers arrived in.
 */
import { FEW_TARGETS_MAX, type MetricSummary, MuseMetric, type QuestionScore } from "@pixellm/muse";
import type { EvalRun, QuestionOutcome } from "./run-eval";

export interface EvalSummary {
  readonly overall: MetricSummary;
  readonly fewTargets: MetricSummary;
  readonly manyTargets: MetricSummary;
  readonly byTargets: readonly { readonly targets: number; readonly summary: MetricSummary }[];
  readonly byFamily: readonly { readonly family: string; readonly summary: MetricSummary }[];
  readonly failed: number;
  readonly seconds: number;
  readonly questionsPerSecond: number;
}

export function summarize(run: EvalRun): EvalSummary {
  const counts = [...new Set(run.outcomes.map((o) => o.score.targets))].sort((a, b) => a - b);
  const families = [
    ...new Set(run.outcomes.flatMap((o) => (o.family !== undefined ? [o.family] : []))),
  ].sort();
  const group = (keep: (o: QuestionOutcome) => boolean) => metricOver(run.outcomes, keep);
  return {
    overall: group(() => true),
    fewTargets: group((o) => o.score.targets <= FEW_TARGETS_MAX),
    manyTargets: group((o) => o.score.targets > FEW_TARGETS_MAX),
    byTargets: counts.map((n) => ({ targets: n, summary: group((o) => o.score.targets === n) })),
    byFamily: families.map((family) => ({ family, summary: group((o) => o.family === family) })),
    failed: run.outcomes.filter((o) => o.error !== undefined).length,
    seconds: run.seconds,
    questionsPerSecond: run.seconds > 0 ? run.outcomes.length / run.seconds : 0,
  };
}

/** outcomes in file order → the metric over each image's questions that `keep` accepts */
function metricOver(
  outcomes: readonly QuestionOutcome[],
  keep: (o: QuestionOutcome) => boolean,
): MetricSummary {
  const metric = new MuseMetric();
  let image: QuestionScore[] = [];
  outcomes.forEach((o, i) => {
    if (keep(o)) image.push(o.score);
    if (outcomes[i + 1]?.record !== o.record) {
      if (image.length > 0) metric.addImage(image);
      image = [];
    }
  });
  return metric.summary();
}

/** One question's own score: Σ pair IoU / max(#predicted, #targets), null when both are 0. */
export function questionIou(score: QuestionScore): number | null {
  const maxNum = Math.max(score.predictions, score.targets);
  return maxNum === 0 ? null : score.pairs.reduce((sum, p) => sum + p.iou, 0) / maxNum;
}

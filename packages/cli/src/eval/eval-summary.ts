/**
 * The scores of a run: overall, "few" and "many" targets (FEW_TARGETS_MAX), per number of
 * targets, and per question family when the file names them; each with the share of answers
 * that say what the file's reference answers say. Each breakdown applies the
 * official per-image formula to the image's questions in that group, as if the file held only
 * those questions. Images are added in file order, so the sums (and their last bits) do not
 * depend on the order answers arrived in.
 */
import { FEW_TARGETS_MAX, type MetricSummary, MuseMetric, type QuestionScore } from "@pixellm/muse";
import type { EvalRun, QuestionOutcome } from "./run-eval";

/** A group's metric, and how many of its answers say what the file's reference answers say. */
export interface GroupScore extends MetricSummary {
  /**
   * The fraction of the group's questions whose answer matches the reference answer
   * (reference-agreement.ts), over those the file gives one; null when it gives none.
   */
  readonly referenceAgreement: number | null;
}

export interface EvalSummary {
  readonly overall: GroupScore;
  readonly fewTargets: GroupScore;
  readonly manyTargets: GroupScore;
  readonly byTargets: readonly { readonly targets: number; readonly summary: GroupScore }[];
  readonly byFamily: readonly { readonly family: string; readonly summary: GroupScore }[];
  readonly failed: number;
  readonly seconds: number;
  readonly questionsPerSecond: number;
}

export function summarize(run: EvalRun): EvalSummary {
  const counts = [...new Set(run.outcomes.map((o) => o.score.targets))].sort((a, b) => a - b);
  const families = [
    ...new Set(run.outcomes.flatMap((o) => (o.family !== undefined ? [o.family] : []))),
  ].sort();
  const group = (keep: (o: QuestionOutcome) => boolean): GroupScore => ({
    ...metricOver(run.outcomes, keep),
    referenceAgreement: agreementOver(run.outcomes.filter(keep)),
  });
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

function agreementOver(outcomes: readonly QuestionOutcome[]): number | null {
  const judged = outcomes.filter((o) => o.matchesReference !== undefined);
  return judged.length === 0 ? null : judged.filter((o) => o.matchesReference).length / judged.length;
}

/** One question's own score: Σ pair IoU / max(#predicted, #targets), null when both are 0. */
export function questionIou(score: QuestionScore): number | null {
  const maxNum = Math.max(score.predictions, score.targets);
  return maxNum === 0 ? null : score.pairs.reduce((sum, p) => sum + p.iou, 0) / maxNum;
}

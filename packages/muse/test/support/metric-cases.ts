/**
 * Metric cases as the Python reference (scripts/reference/muse_metric.py) reads them: records of
 * questions whose masks are rows of integers. Scores them with @pixellm/muse and runs the
 * reference on the same file.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { MuseMetric, type PairScore, scoreQuestion } from "../../src";

export type MaskRows = number[][];

export interface MetricCase {
  readonly name: string;
  readonly records: { readonly questions: { predictions: MaskRows[]; targets: MaskRows[] }[] }[];
}

export interface CaseResult {
  readonly name: string;
  readonly gIoU: number;
  readonly cIoU: number;
  /** The pairs of every question, in file order. */
  readonly questions: PairScore[][];
}

const REFERENCE = path.join(import.meta.dirname, "../../../../scripts/reference/muse_metric.py");

function flatten(rows: MaskRows): Uint8Array {
  return Uint8Array.from(rows.flat());
}

export function scoreCase(c: MetricCase): CaseResult {
  const metric = new MuseMetric();
  const questions: PairScore[][] = [];
  for (const record of c.records) {
    const first = record.questions.flatMap((q) => [...q.predictions, ...q.targets])[0];
    const pixels = first ? first.length * (first[0]?.length ?? 0) : 0;
    const scored = record.questions.map((q) =>
      scoreQuestion(q.predictions.map(flatten), q.targets.map(flatten), pixels),
    );
    metric.addImage(scored);
    questions.push(...scored.map((q) => [...q.pairs]));
  }
  const { gIoU, cIoU } = metric.summary();
  return { name: c.name, gIoU, cIoU, questions };
}

/** Runs the Python reference on `cases` (written to `dir`). */
export async function pythonScores(cases: readonly MetricCase[], dir: string): Promise<CaseResult[]> {
  const file = path.join(dir, "cases.json");
  await writeFile(file, JSON.stringify({ cases }));
  const { stdout } = await promisify(execFile)("/usr/bin/python3", [REFERENCE, file], {
    maxBuffer: 64 * 2 ** 20,
  });
  return (JSON.parse(stdout) as { cases: CaseResult[] }).cases;
}

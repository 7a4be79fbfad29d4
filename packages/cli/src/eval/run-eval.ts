/**
 * Sends every selected question of a MUSE file to a model, `concurrency` at a time, and scores
 * each image record as soon as its last question is answered (its masks are then released; only
 * the compact RLEs stay for the report). A question that fails is kept with its error and scored
 * as an answer without masks, so a flaky run can never look better than it was.
 */
import { readFile } from "node:fs/promises";
import { decodeRle, rleCountsFromString } from "@pixellm/image";
import {
  MuseFormatError,
  type MuseQuestion,
  type MuseRecord,
  type QuestionScore,
  evaluationPrompts,
  resolveImagePath,
  scoreQuestion,
  targetMask,
} from "@pixellm/muse";
import type { QuestionSegmenter, SegmentedAnswer } from "./question-segmenter";
import { matchesReference } from "./reference-agreement";

export interface EvalOptions {
  readonly records: readonly MuseRecord[];
  readonly imagesDir: string;
  readonly segmenter: QuestionSegmenter;
  readonly concurrency: number;
  /** Evaluate only the first N questions in file order. */
  readonly limit?: number;
  /** Seed of the prompt-suffix choice (see @pixellm/muse eval-protocol.ts). */
  readonly seed: number;
  readonly onProgress?: (done: number, total: number, failed: number) => void;
}

export interface QuestionOutcome {
  readonly record: number;
  readonly question: number;
  readonly imageName: string;
  readonly imagePath: string;
  /** The question's reasoning family, when the file says (synthetic data). */
  readonly family?: string;
  readonly prompt: string;
  readonly answer: string;
  /** The file's reference answer (`text_answers`), when it has one. */
  readonly referenceAnswer?: string;
  /** Whether `answer` says what `referenceAnswer` says (reference-agreement.ts). */
  readonly matchesReference?: boolean;
  /** Why the question got no answer (it is scored as an answer without masks). */
  readonly error?: string;
  /** The predicted masks as returned (COCO RLE). */
  readonly masks: SegmentedAnswer["masks"];
  readonly score: QuestionScore;
  readonly seconds: number;
}

export interface EvalRun {
  /** In file order. */
  readonly outcomes: readonly QuestionOutcome[];
  readonly seconds: number;
}

interface Selected {
  readonly record: MuseRecord;
  readonly question: MuseQuestion;
  readonly prompt: string;
}

type Answered = Omit<QuestionOutcome, "score">;

export async function runEval(options: EvalOptions): Promise<EvalRun> {
  const selected = selectQuestions(options.records, options.limit, options.seed);
  const imagePaths = new Map<number, string>();
  for (const { record } of selected) {
    if (!imagePaths.has(record.index))
      imagePaths.set(record.index, await resolveImagePath(record, options.imagesDir));
  }
  const pending = new Map<number, Answered[]>();
  const remaining = new Map<number, number>();
  for (const { record } of selected) remaining.set(record.index, (remaining.get(record.index) ?? 0) + 1);
  const images = new Map<number, Promise<Uint8Array>>();
  const outcomes: QuestionOutcome[] = [];
  let next = 0;
  let done = 0;
  let failed = 0;
  let stopped = false;
  const started = performance.now();

  const answer = async ({ record, question, prompt }: Selected): Promise<Answered> => {
    const imagePath = imagePaths.get(record.index)!;
    if (!images.has(record.index)) {
      const read = readFile(imagePath).catch((error: NodeJS.ErrnoException) => {
        throw new MuseFormatError(
          `record ${record.index}: cannot read ${imagePath}: ${error.code ?? error.message}`,
        );
      });
      images.set(record.index, read);
    }
    const image = await images.get(record.index)!;
    const t = performance.now();
    const base = {
      record: record.index,
      question: question.index,
      imageName: record.imageName,
      imagePath,
      ...(question.family !== undefined ? { family: question.family } : {}),
      prompt,
    };
    try {
      const result = await options.segmenter.segment(image, prompt);
      checkSize(record, result);
      return { ...base, answer: result.text, masks: result.masks, seconds: (performance.now() - t) / 1000 };
    } catch (error) {
      if (error instanceof MuseFormatError) throw error;
      failed++;
      const message = error instanceof Error ? error.message : String(error);
      return { ...base, answer: "", error: message, masks: [], seconds: (performance.now() - t) / 1000 };
    }
  };

  const worker = async () => {
    while (!stopped && next < selected.length) {
      const item = selected[next++]!;
      const answered = await answer(item);
      const index = item.record.index;
      pending.set(index, [...(pending.get(index) ?? []), answered]);
      const left = remaining.get(index)! - 1;
      remaining.set(index, left);
      if (left === 0) {
        images.delete(index);
        outcomes.push(...scoreRecord(item.record, pending.get(index)!));
        pending.delete(index);
      }
      options.onProgress?.(++done, selected.length, failed);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, selected.length) }, worker));
  } finally {
    stopped = true;
  }
  outcomes.sort((a, b) => a.record - b.record || a.question - b.question);
  return { outcomes, seconds: (performance.now() - started) / 1000 };
}

/** The first `limit` questions in file order, each with its evaluation prompt. */
function selectQuestions(
  records: readonly MuseRecord[],
  limit: number | undefined,
  seed: number,
): Selected[] {
  const all = records.flatMap((record) => record.questions.map((question) => ({ record, question })));
  const chosen = limit === undefined ? all : all.slice(0, limit);
  const prompts = evaluationPrompts(
    chosen.map(({ question }) => question.text),
    seed,
  );
  return chosen.map((item, k) => ({ ...item, prompt: prompts[k]! }));
}

/** The masks must be at the record's size: the metric compares them pixel for pixel. */
function checkSize(record: MuseRecord, result: SegmentedAnswer): void {
  const where = `record ${record.index} (${record.imageName})`;
  const { width, height } = result.image;
  if (width !== record.width || height !== record.height) {
    throw new MuseFormatError(
      `${where}: the image is ${width}x${height} (width x height) but the record says ${record.width}x${record.height}`,
    );
  }
  const wrong = result.masks.find((m) => m.size[0] !== record.height || m.size[1] !== record.width);
  if (wrong) {
    throw new MuseFormatError(
      `${where}: a predicted mask is ${wrong.size.join("x")} (height x width), not the image's ${record.height}x${record.width}`,
    );
  }
}

/** Scores the answered questions of one record against its targets. */
function scoreRecord(record: MuseRecord, answered: readonly Answered[]): QuestionOutcome[] {
  const pixels = record.height * record.width;
  return answered.map((a) => {
    const question = record.questions[a.question]!;
    const targets = question.targets.map((t) => targetMask(t.segmentation, record.height, record.width));
    const predictions = a.masks.map((m) =>
      decodeRle({ size: [record.height, record.width], counts: rleCountsFromString(m.counts) }),
    );
    const reference = question.textAnswer;
    return {
      ...a,
      ...(reference !== undefined
        ? { referenceAnswer: reference, matchesReference: matchesReference(a.answer, reference) }
        : {}),
      score: scoreQuestion(predictions, targets, pixels),
    };
  });
}

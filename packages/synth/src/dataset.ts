/**
 * Writes the synthetic dataset: `muse_{train,val,test}.json` and `images/<split>/NNNNN.png`.
 * Scene i of a split comes from its own random stream (seed, split, i), so a split's content does
 * not depend on the others' sizes and any scene can be regenerated alone.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { askQuestions } from "./questions";
import { museRecord, type MuseRecord } from "./muse-record";
import { renderScenePng } from "./render";
import { Rng } from "./rng";
import { sampleScene } from "./scene";

export type SplitName = "train" | "val" | "test";

export interface DatasetOptions {
  readonly outDir: string;
  readonly seed: number;
  /** Images per split. */
  readonly images: Readonly<Record<SplitName, number>>;
  /** Questions asked per image (fewer when a scene does not allow that many distinct ones). */
  readonly questionsPerImage: number;
  /** Called after each image with (split, done, total). */
  readonly onProgress?: (split: SplitName, done: number, total: number) => void;
}

export interface SplitSummary {
  readonly split: SplitName;
  readonly file: string;
  readonly imageDir: string;
  readonly images: number;
  readonly questions: number;
  readonly targets: number;
}

/** One image record and its PNG, fully determined by (seed, split, index). */
export async function makeExample(
  seed: number,
  split: SplitName,
  index: number,
  questionsPerImage: number,
): Promise<{ record: MuseRecord; png: Buffer }> {
  const rng = new Rng(seed, `${split}:${index}`);
  const scene = sampleScene(rng);
  const questions = askQuestions(scene.objects, questionsPerImage, rng, Math.min(scene.width, scene.height));
  const fileName = `${String(index).padStart(5, "0")}.png`;
  return { record: museRecord(scene, questions, fileName, index), png: await renderScenePng(scene) };
}

/** Renders run a few at a time: sharp works on its own threads while the next scene is drawn. */
const IN_FLIGHT = 4;

async function writeSplit(options: DatasetOptions, split: SplitName): Promise<SplitSummary> {
  const total = options.images[split];
  const imageDir = path.join(options.outDir, "images", split);
  await mkdir(imageDir, { recursive: true });
  const records: MuseRecord[] = new Array<MuseRecord>(total);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const { record, png } = await makeExample(options.seed, split, index, options.questionsPerImage);
      await writeFile(path.join(imageDir, record.file_name), png);
      records[index] = record;
      options.onProgress?.(split, ++done, total);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const file = path.join(options.outDir, `muse_${split}.json`);
  // Written whole, then renamed: a reader never sees half a file.
  await writeFile(`${file}.partial`, JSON.stringify(records));
  await rename(`${file}.partial`, file);
  return {
    split,
    file,
    imageDir,
    images: total,
    questions: records.reduce((n, r) => n + r.questions.length, 0),
    targets: records.reduce((n, r) => n + r.answers.reduce((m, a) => m + a.length, 0), 0),
  };
}

export async function writeDataset(options: DatasetOptions): Promise<SplitSummary[]> {
  const summaries: SplitSummary[] = [];
  for (const split of ["train", "val", "test"] as const) {
    if (options.images[split] > 0) summaries.push(await writeSplit(options, split));
  }
  return summaries;
}

/** `pixellm make-dataset`: the synthetic MUSE-format dataset (deterministic from its seed). */
import { parseArgs } from "node:util";
import { type SplitName, writeDataset } from "@pixellm/synth";
import { parseNumber } from "../flags";
import { UsageError } from "../usage-error";

export const makeDatasetUsage = `pixellm make-dataset --out DIR [--seed N] [--train N] [--val N] [--test N] [--questions N]

  Writes DIR/muse_{train,val,test}.json (MUSE format: COCO polygons and RLE masks, 1-4 targets
  per question, one {seg} per target in text_answers) and DIR/images/<split>/*.png: procedural
  shape scenes with questions that take a little reasoning ("everything red", "the two shapes
  left of the largest one", "what could roll down a slope?").
  --seed       dataset seed (default 0); scene i of a split depends only on (seed, split, i)
  --train/--val/--test  images per split (defaults 2000 / 60 / 60; 0 skips a split)
  --questions  questions per image (default 8; fewer when a scene allows fewer distinct ones)`;

export async function makeDatasetCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string" },
      seed: { type: "string" },
      train: { type: "string" },
      val: { type: "string" },
      test: { type: "string" },
      questions: { type: "string" },
    },
    strict: true,
  });
  if (!values.out) throw new UsageError("make-dataset needs --out DIR");
  const count = (flag: string, value: string | undefined, fallback: number) =>
    parseNumber(flag, value, { min: 0, max: 1_000_000, integer: true, fallback });
  const images: Record<SplitName, number> = {
    train: count("--train", values.train, 2000),
    val: count("--val", values.val, 60),
    test: count("--test", values.test, 60),
  };
  const started = performance.now();
  const summaries = await writeDataset({
    outDir: values.out,
    seed: parseNumber("--seed", values.seed, { min: 0, max: 2 ** 31 - 1, integer: true, fallback: 0 }),
    images,
    questionsPerImage: parseNumber("--questions", values.questions, {
      min: 1,
      max: 32,
      integer: true,
      fallback: 8,
    }),
    onProgress: (split, done, total) => {
      if (process.stderr.isTTY) process.stderr.write(`\r${split}: ${done}/${total} images`);
      if (done === total && process.stderr.isTTY) process.stderr.write("\n");
    },
  });
  for (const s of summaries)
    console.log(
      `${s.file}: ${s.images} images, ${s.questions} questions, ${s.targets} targets (images in ${s.imageDir})`,
    );
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

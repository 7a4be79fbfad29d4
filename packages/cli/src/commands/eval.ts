/**
 * `pixellm eval`: a MUSE-format file through a model, scored with gIoU and cIoU as the official
 * `ar_validate` computes them (packages/muse; README "Evaluation" lists the documented
 * differences). In-process by default, or through a gateway's async jobs with --address.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_PROMPT_SEED, EVAL_MAX_NEW_TOKENS, loadMuseFile } from "@pixellm/muse";
import { defaultBundle } from "../default-bundle";
import { EvalProgress } from "../eval/eval-progress";
import { writeEvalReport } from "../eval/eval-report";
import { summarize } from "../eval/eval-summary";
import { evalTable } from "../eval/eval-table";
import { engineSegmenter } from "../eval/engine-segmenter";
import { gatewaySegmenter } from "../eval/gateway-segmenter";
import type { QuestionSegmenter } from "../eval/question-segmenter";
import { runEval } from "../eval/run-eval";
import { parseNumber } from "../flags";
import { PartialFailure } from "../partial-failure";
import { UsageError } from "../usage-error";

export const evalUsage = `pixellm eval --data FILE.json --images DIR [--address HOST:PORT | --model BUNDLE] [options]

  --data          MUSE-format JSON (a list of image records with questions and target masks)
  --images        image directory: DIR/<file_name>, or the official dataset root
                  (DIR/refer_seg/images/mscoco/images/{train2014,train2017,val2017}/<name>)
  --address       evaluate through this gateway's async jobs (SubmitJob, WatchJob)
  --api-key       sent to the gateway as authorization: Bearer KEY (default $PIXELLM_API_KEY)
  --model         evaluate this bundle in-process (default: the CLI's default bundle)
  --concurrency   questions in flight at once (default 4)
  --limit         only the first N questions in file order
  --out           report directory (default eval-output): summary.json, questions.json, overlays/
  --overlays      overlay PNGs of the N worst questions (default 8; 0 for none)
  --seed          seed of the per-question prompt suffix (default ${DEFAULT_PROMPT_SEED})`;

export async function evalCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: "string" },
      images: { type: "string" },
      address: { type: "string" },
      "api-key": { type: "string", default: process.env.PIXELLM_API_KEY ?? "" },
      model: { type: "string" },
      concurrency: { type: "string" },
      limit: { type: "string" },
      out: { type: "string", default: "eval-output" },
      overlays: { type: "string" },
      seed: { type: "string" },
    },
    strict: true,
  });
  if (!values.data || !values.images) throw new UsageError("eval needs --data FILE.json and --images DIR");
  if (values.address && values.model)
    throw new UsageError("give --address (a gateway) or --model (in-process), not both");
  const concurrency = parseNumber("--concurrency", values.concurrency, {
    min: 1,
    max: 1024,
    integer: true,
    fallback: 4,
  });
  const limit =
    values.limit !== undefined
      ? parseNumber("--limit", values.limit, { min: 1, max: 2 ** 31, integer: true, fallback: 0 })
      : undefined;
  const seed = parseNumber("--seed", values.seed, {
    min: 0,
    max: 2 ** 32 - 1,
    integer: true,
    fallback: DEFAULT_PROMPT_SEED,
  });
  const overlays = parseNumber("--overlays", values.overlays, {
    min: 0,
    max: 1000,
    integer: true,
    fallback: 8,
  });

  const records = await loadMuseFile(values.data);
  const segmenter: QuestionSegmenter = values.address
    ? await gatewaySegmenter(values.address, values["api-key"] || undefined)
    : await engineSegmenter(values.model ?? (await defaultBundle()));
  const progress = new EvalProgress();
  let run;
  try {
    run = await runEval({
      records,
      imagesDir: values.images,
      segmenter,
      concurrency,
      seed,
      ...(limit !== undefined ? { limit } : {}),
      onProgress: (done, total, failed) => progress.update(done, total, failed),
    });
  } finally {
    progress.finish();
    await segmenter.close();
  }
  const summary = summarize(run);
  await writeEvalReport(
    values.out,
    {
      data: path.resolve(values.data),
      images: path.resolve(values.images),
      model: segmenter.description,
      concurrency,
      limit: limit ?? null,
      seed,
      maxNewTokens: EVAL_MAX_NEW_TOKENS,
    },
    records,
    run,
    summary,
    overlays,
  );
  console.log(`MUSE eval of ${values.data}: ${segmenter.description}`);
  console.log(evalTable(summary));
  console.log(`report: ${values.out}/ (summary.json, questions.json, overlays/)`);
  if (summary.failed > 0) {
    throw new PartialFailure(
      `${summary.failed} question(s) failed and were scored as answers without masks; their errors are in ${values.out}/questions.json`,
    );
  }
}

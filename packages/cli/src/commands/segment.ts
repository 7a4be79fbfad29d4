/** `pixellm segment`: one image and one question → answer text and a mask per target, in-process. */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { PixelLMEngine, type SegmentResult } from "@pixellm/engine";
import { defaultBundle } from "../default-bundle";
import { dumpTensors } from "../dump";
import { parseIdList, parseNumber } from "../flags";
import { writeSegmentOutputs } from "../segment-output";
import { targetLine } from "../target-line";
import { UsageError } from "../usage-error";

export const segmentUsage = `pixellm segment --image FILE (--query TEXT | --prompt-ids IDS) [--model BUNDLE] [--out DIR] [--json] [options]

  --model            model bundle directory (default: the tiny bundle, generated on first use)
  --image            PNG, JPEG or WebP file
  --query            the question, e.g. "Please segment the dog."
  --out              write result.json, mask_<k>.png and overlay_<k>.png there
  --json             print the result as JSON instead of text
  --max-new-tokens   answer length limit (default 512, as chat.py)
  --temperature, --top-p, --seed   sample instead of greedy decoding (default: greedy)
  Reference checks against PyTorch:
  --prompt-ids       comma-separated prompt ids with -200 for the image (bypasses the tokenizer)
  --answer-ids       comma-separated answer ids: teacher forcing, as the official RefCOCO evaluation
  --dump             write every intermediate tensor there as .npy, with dump.json naming each
                     one's official counterpart (a second, batch-1 pass after the answer)`;

export async function segmentCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      image: { type: "string" },
      query: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      "max-new-tokens": { type: "string" },
      temperature: { type: "string" },
      "top-p": { type: "string" },
      seed: { type: "string" },
      "prompt-ids": { type: "string" },
      "answer-ids": { type: "string" },
      dump: { type: "string" },
    },
    strict: true,
  });
  if (!values.image) throw new UsageError("segment needs --image FILE");
  if (values.query === undefined && values["prompt-ids"] === undefined)
    throw new UsageError("segment needs --query TEXT or --prompt-ids IDS");
  const image = await readImageFile(values.image);
  const temperature = parseNumber("--temperature", values.temperature, { min: 0, max: 100, fallback: 0 });
  const bundleDir = values.model ?? (await defaultBundle());
  const engine = await PixelLMEngine.load(bundleDir);
  let result: SegmentResult;
  try {
    result = await engine.segment({
      image,
      ...(values.query !== undefined ? { query: values.query } : {}),
      ...(values["prompt-ids"] !== undefined
        ? { promptIds: parseIdList("--prompt-ids", values["prompt-ids"]) }
        : {}),
      ...(values["answer-ids"] !== undefined
        ? { answerIds: parseIdList("--answer-ids", values["answer-ids"]) }
        : {}),
      maxNewTokens: parseNumber("--max-new-tokens", values["max-new-tokens"], {
        min: 1,
        max: 4096,
        integer: true,
        fallback: 512,
      }),
      ...(temperature > 0
        ? {
            sampling: {
              temperature,
              topP: parseNumber("--top-p", values["top-p"], { min: 0.01, max: 1, fallback: 1 }),
              seed: parseNumber("--seed", values.seed, {
                min: 0,
                max: 2 ** 32 - 1,
                integer: true,
                fallback: 0,
              }),
            },
          }
        : {}),
    });
  } finally {
    await engine.close();
  }
  const json = resultJson(result);
  if (values.out) await writeSegmentOutputs(values.out, json, image);
  console.log(values.json ? JSON.stringify(json, null, 2) : describe(result));
  if (values.dump) {
    // After the engine is closed: the dump pass opens the graphs again, with their dump outputs.
    const { written, unavailable } = await dumpTensors(values.dump, { bundleDir, image, result });
    console.error(`pixellm segment: wrote ${written.length} tensors and dump.json to ${values.dump}`);
    if (unavailable.length > 0)
      console.error(
        `pixellm segment: this bundle predates ${unavailable.join(", ")}; export it again to dump them`,
      );
  }
}

async function readImageFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch {
    throw new UsageError(`cannot read the image file ${file}`);
  }
}

/** The result as clients get it (no tensors). */
export function resultJson(result: SegmentResult) {
  return {
    text: result.text,
    rawText: result.rawText,
    finishReason: result.finishReason,
    masksDropped: result.masksDropped,
    image: result.image,
    outputIds: result.outputIds,
    targets: result.targets.map(({ index, span, mask, bbox, area, score }) => ({
      index,
      span,
      mask,
      bbox,
      area,
      score,
    })),
    timings: result.timings,
  };
}

function describe(result: SegmentResult): string {
  const lines = [result.text, ...result.targets.map(targetLine)];
  if (result.masksDropped)
    lines.push("  (codebook tokens were not a whole number of groups: masks dropped, as the reference does)");
  lines.push(
    `  ${result.timings.totalMs.toFixed(0)} ms (vision ${result.timings.visionMs.toFixed(0)}, generation ${result.timings.generationMs.toFixed(0)}, decoder ${result.timings.decoderMs.toFixed(0)})`,
  );
  return lines.join("\n");
}

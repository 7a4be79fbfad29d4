/**
 * Prepares the training of the shipped demo model (scripts/train/README.md): from a synthetic
 * MUSE dataset (`pixellm make-dataset`) it writes
 *  - WORK/checkpoint: config.json and the tokenizer files (a LLaMA-layout tokenizer trained on the
 *    dataset's questions and answers), ready for the trainer to add model.safetensors;
 *  - WORK/vision-tower/config.json;
 *  - WORK/layout.json: every official parameter name and shape (@pixellm/checkpoint's layout, the
 *    list the exporter checks), so the trainer creates exactly the tensors the exporter reads;
 *  - WORK/prep/{train,val}.json: per image, its objects as RLE and per question the token ids of
 *    prompt and answer, tokenised by the same code the engine runs at inference.
 *
 *   npx tsx --conditions=@pixellm/source scripts/train/prepare.ts --data DATASET_DIR --work WORK_DIR
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  clipParameters,
  codebookTokenNames,
  parseClipVisionConfig,
  parsePixelLMConfig,
  pixellmParameters,
} from "@pixellm/checkpoint";
import { encodeRle } from "@pixellm/image";
import { EVAL_PROMPT_SUFFIXES, type Segmentation, targetMask } from "@pixellm/muse";
import { promptIdsForQuery } from "@pixellm/pipeline";
import type { MuseAnnotation, MuseRecord } from "@pixellm/synth";
import { COLOUR_NAMES } from "@pixellm/synth";
import { type CheckpointPreset, clipConfigJson, pixellmConfigJson } from "@pixellm/tiny";
import {
  LLAVA_V1_SYSTEM,
  SEG_TOKENS,
  buildPrompt,
  loadTokenizer,
  tokenizerImageToken,
  trainLlamaSentencePieceModel,
  writeLlamaTokenizer,
} from "@pixellm/tokenizer";

/**
 * The demo model's shape: PixelLM's structure at widths a 2-core machine trains in minutes. CLIP
 * has 11 layers, the fewest for which hidden_states[-11] exists (taps at layers 10 and 1).
 */
const DEMO: CheckpointPreset = {
  clip: { hidden_size: 64, intermediate_size: 256, num_hidden_layers: 11, num_attention_heads: 2 },
  llm: {
    hidden_size: 128,
    intermediate_size: 344,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    min_vocab_size: 0,
  },
  decoder: { out_dim: 64, mask_decoder_num_heads: 4, mask_decoder_mlp_dim: 256 },
  plantAnswer: false,
  shardBytes: 2 ** 30,
};

const SEG_GROUP = SEG_TOKENS.join(" ");

function answerText(textAnswer: string): string {
  return textAnswer.replaceAll("{seg}", SEG_GROUP);
}

/** An annotation's visible pixels as COCO RLE counts, decoded the way `pixellm eval` reads them. */
function annotationCounts(ann: MuseAnnotation, height: number, width: number): readonly number[] {
  const seg = ann.segmentation;
  const parts: Segmentation = Array.isArray(seg)
    ? seg.map((xy) => ({ kind: "polygon", xy }))
    : [{ kind: "rle", rle: { size: seg.size, counts: seg.counts } }];
  return encodeRle(targetMask(parts, height, width), height, width).counts;
}

/** The question as `pixellm eval` asks it (one of the official suffixes) and as users ask it. */
function askedForms(question: string, index: number): string[] {
  return [question, `${question} ${EVAL_PROMPT_SUFFIXES[index % 2]!}`];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: "string" }, work: { type: "string" } } });
  if (!values.data || !values.work) throw new Error("usage: prepare.ts --data DATASET_DIR --work WORK_DIR");
  const splits = {
    train: JSON.parse(await readFile(path.join(values.data, "muse_train.json"), "utf8")) as MuseRecord[],
    val: JSON.parse(await readFile(path.join(values.data, "muse_val.json"), "utf8")) as MuseRecord[],
  };

  // The tokenizer learns the dataset's words (and the prompt template), nothing else:
  // anything outside falls back to bytes.
  const corpus = splits.train.flatMap((r) =>
    r.questions.map(
      (q, i) =>
        `${LLAVA_V1_SYSTEM} USER: ${askedForms(q, i)[1]!} ASSISTANT: ${answerText(r.text_answers[i]!)}`,
    ),
  );
  const checkpointDir = path.join(values.work, "checkpoint");
  const visionTowerDir = path.join(values.work, "vision-tower");
  await mkdir(checkpointDir, { recursive: true });
  await mkdir(visionTowerDir, { recursive: true });
  const info = await writeLlamaTokenizer(
    checkpointDir,
    trainLlamaSentencePieceModel(corpus, {
      maxMerges: 400,
      maxPieceLength: 16,
      requiredPieces: ["▁Sure", "."],
    }),
  );
  const configJson = pixellmConfigJson(DEMO, info.vocabSize);
  const clipJson = clipConfigJson(DEMO);
  await writeFile(path.join(checkpointDir, "config.json"), JSON.stringify(configJson, null, 2) + "\n");
  await writeFile(path.join(visionTowerDir, "config.json"), JSON.stringify(clipJson, null, 2) + "\n");
  const config = parsePixelLMConfig(configJson);
  const clip = parseClipVisionConfig(clipJson);
  await writeFile(
    path.join(values.work, "layout.json"),
    JSON.stringify({ llm: pixellmParameters(config), clip: clipParameters(clip) }),
  );

  const tokenizer = await loadTokenizer(checkpointDir);
  const codebook = codebookTokenNames(config);
  await mkdir(path.join(values.work, "prep"), { recursive: true });
  for (const [split, records] of Object.entries(splits)) {
    const images = records.map((r) => {
      const annIndex = new Map(r.ann_list.map((a, i) => [a.id, i]));
      return {
        file: path.resolve(values.data!, "images", split, r.file_name),
        height: r.height,
        width: r.width,
        objects: r.ann_list.map((a) => ({
          counts: annotationCounts(a, r.height, r.width),
          category: a.category_id,
          colour: COLOUR_NAMES.indexOf(a.rephrased_name.split(" ")[0] as (typeof COLOUR_NAMES)[number]),
        })),
        questions: r.questions.map((q, i) => {
          const answer = answerText(r.text_answers[i]!);
          // The question alone and with an official evaluation suffix: both forms are asked.
          const variants = askedForms(q, i).map((text) => {
            const prompt = promptIdsForQuery(tokenizer, text, codebook);
            const full = tokenizerImageToken(tokenizer, `${buildPrompt(text)} ${answer}`);
            if (full.slice(0, prompt.length).join() !== prompt.join())
              throw new Error(`the answer changes the prompt's tokens: ${JSON.stringify(text)}`);
            return { prompt, answer: [...full.slice(prompt.length), config.eos_token_id] };
          });
          return {
            variants,
            targets: r.answers[i]!.map((a) => annIndex.get(a.id)!),
            family: r.question_families[i],
          };
        }),
      };
    });
    await writeFile(path.join(values.work, "prep", `${split}.json`), JSON.stringify(images));
    console.log(
      `${split}: ${images.length} images, ${images.reduce((n, i) => n + i.questions.length, 0)} questions`,
    );
  }
  const segIds = codebook.map((t) => tokenizer.pieceToId(t));
  await writeFile(
    path.join(values.work, "prep", "tokens.json"),
    JSON.stringify({
      seg: segIds,
      eos: config.eos_token_id,
      pad: config.pad_token_id,
      vocab: info.vocabSize,
    }),
  );
  console.log(
    `tokenizer: ${info.vocabSize} tokens; checkpoint configs in ${checkpointDir}, ${visionTowerDir}`,
  );
}

await main();

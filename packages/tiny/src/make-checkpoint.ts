/**
 * `make-tiny`: a complete generated checkpoint in the official layout — the PixelLM checkpoint
 * directory (sharded safetensors + index, config.json, tokenizer files with the 8 added
 * tokens) and the CLIP vision tower directory — ready for `pixellm export`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  codebookTokenNames,
  parseClipVisionConfig,
  parsePixelLMConfig,
  pixellmNames,
  pixellmParameters,
} from "@pixellm/checkpoint";
import { buildPrompt, loadTokenizer, tokenizerImageToken, writeTinyTokenizer } from "@pixellm/tokenizer";
import { clipConfigJson, pixellmConfigJson } from "./configs";
import { PLANTED_ANSWER_PIECES, plantChain, plantedLeadIn } from "./planted-answer";
import { type CheckpointPreset, PRESETS, type PresetName } from "./presets";
import { type DtypePolicy, sampleParameter } from "./synth-weights";
import { writeGeneratedWeights } from "./write-weights";

export interface MakeCheckpointOptions {
  readonly outDir: string;
  readonly preset?: PresetName;
  readonly seed?: number;
  readonly dtype?: DtypePolicy;
  /** Override the preset: plant the answer (short, ends with </s>) or not (answers run long). */
  readonly plantAnswer?: boolean;
  /**
   * Text tokens the planted answer says before its codebook group (default 4: "Sure, it is"):
   * a longer answer for workloads that should look like real ones.
   */
  readonly plantedLeadIn?: number;
  /**
   * Zero the LM-head row of </s>, so greedy decoding practically never ends before
   * max_new_tokens (random logits put some other token above 0): fixed-length workloads.
   */
  readonly neverEos?: boolean;
}

export interface GeneratedCheckpoint {
  readonly checkpointDir: string;
  readonly visionTowerDir: string;
  readonly parameters: number;
  readonly bytes: number;
  /** Token ids greedy decoding produces after any prompt, when the preset plants an answer. */
  readonly plantedAnswer?: readonly number[];
}

export async function makeCheckpoint(options: MakeCheckpointOptions): Promise<GeneratedCheckpoint> {
  const preset: CheckpointPreset = PRESETS[options.preset ?? "tiny"];
  const seed = options.seed ?? 0;
  const checkpointDir = path.join(options.outDir, "checkpoint");
  const visionTowerDir = path.join(options.outDir, "vision-tower");
  await mkdir(checkpointDir, { recursive: true });
  await mkdir(visionTowerDir, { recursive: true });

  const tokenizerInfo = await writeTinyTokenizer(checkpointDir);
  const configJson = pixellmConfigJson(preset, Math.max(tokenizerInfo.vocabSize, preset.llm.min_vocab_size));
  const clipJson = clipConfigJson(preset);
  await writeFile(path.join(checkpointDir, "config.json"), JSON.stringify(configJson, null, 2) + "\n");
  await writeFile(path.join(visionTowerDir, "config.json"), JSON.stringify(clipJson, null, 2) + "\n");
  const config = parsePixelLMConfig(configJson, "generated config.json");
  const clip = parseClipVisionConfig(clipJson, "generated vision tower config.json");

  const overrides = new Map<string, Float32Array>();
  let plantedAnswer: number[] | undefined;
  const plant = options.plantAnswer ?? preset.plantAnswer;
  if (plant || options.neverEos) {
    const specs = new Map(pixellmParameters(config).map((s) => [s.name, s]));
    const sample = (name: string) => sampleParameter(specs.get(name)!, seed);
    const lmHead = sample(pixellmNames.lmHead);
    if (plant) {
      const tokenizer = await loadTokenizer(checkpointDir);
      const promptIds = tokenizerImageToken(tokenizer, buildPrompt("What is it?"));
      const seg = codebookTokenNames(config).map((name) => tokenizerInfo.addedTokens[name]!);
      plantedAnswer = [
        ...plantedLeadIn(
          PLANTED_ANSWER_PIECES.map((p) => tokenizer.pieceToId(p)),
          options.plantedLeadIn ?? PLANTED_ANSWER_PIECES.length,
          tokenizerInfo.vocabSize,
          new Set([...promptIds, ...seg, tokenizer.pieceToId("."), config.eos_token_id]),
        ),
        ...seg,
        tokenizer.pieceToId("."),
        config.eos_token_id,
      ];
      const embed = sample(pixellmNames.embedTokens);
      plantChain(embed, lmHead, config.hidden_size, [promptIds[promptIds.length - 1]!, ...plantedAnswer]);
    } else {
      const H = config.hidden_size;
      lmHead.fill(0, config.eos_token_id * H, (config.eos_token_id + 1) * H);
    }
    overrides.set(pixellmNames.lmHead, lmHead);
  }
  const written = await writeGeneratedWeights({
    checkpointDir,
    visionTowerDir,
    config,
    clip,
    seed,
    dtype: options.dtype ?? "mixed",
    shardBytes: preset.shardBytes,
    overrides,
  });
  return {
    checkpointDir,
    visionTowerDir,
    parameters: written.parameters,
    bytes: written.bytes,
    ...(plantedAnswer ? { plantedAnswer } : {}),
  };
}

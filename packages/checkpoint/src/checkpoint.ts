/**
 * Opens an official-layout PixelLM checkpoint (LLM, projectors, decoder, tokenizer) and its CLIP
 * vision tower, validating both configs against each other.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { type ClipVisionConfig, parseClipVisionConfig } from "./clip-config";
import { CheckpointError } from "./errors";
import { readJsonObject } from "./json-file";
import { type PixelLMConfig, SECOND_SCALE_HIDDEN_STATE, parsePixelLMConfig } from "./pixellm-config";
import { type SpecialTokenIds, resolveSpecialTokens } from "./special-tokens";
import { TensorStore } from "./tensor-store";

/** Files a bundle carries so the engine can tokenize exactly like the checkpoint's tokenizer. */
export const TOKENIZER_FILES = [
  "tokenizer.model",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
];
const REQUIRED_TOKENIZER_FILES = ["tokenizer.model", "added_tokens.json"];

export interface PixelLMCheckpoint {
  readonly config: PixelLMConfig;
  readonly clip: ClipVisionConfig;
  readonly llm: TensorStore;
  readonly vision: TensorStore;
  readonly tokens: SpecialTokenIds;
  /** Absolute paths of the tokenizer files present in the checkpoint directory. */
  readonly tokenizerFiles: readonly string[];
  close(): Promise<void>;
}

export interface CheckpointPaths {
  readonly checkpointDir: string;
  readonly visionTowerDir: string;
}

export async function openCheckpoint({
  checkpointDir,
  visionTowerDir,
}: CheckpointPaths): Promise<PixelLMCheckpoint> {
  const config = parsePixelLMConfig(
    await readJsonObject(path.join(checkpointDir, "config.json"), "checkpoint config"),
  );
  const clip = parseClipVisionConfig(
    await readJsonObject(path.join(visionTowerDir, "config.json"), "vision tower config"),
  );
  checkCompatible(config, clip);
  const addedTokensPath = path.join(checkpointDir, "added_tokens.json");
  const tokens = resolveSpecialTokens(
    await readJsonObject(addedTokensPath, "added tokens"),
    config,
    addedTokensPath,
  );
  const tokenizerFiles = await presentFiles(checkpointDir, TOKENIZER_FILES);
  for (const required of REQUIRED_TOKENIZER_FILES) {
    if (!tokenizerFiles.some((f) => path.basename(f) === required)) {
      throw new CheckpointError(
        "missing_file",
        `checkpoint ${checkpointDir} has no ${required}; copy it from the released hf_model`,
      );
    }
  }
  const llm = await TensorStore.openDirectory(checkpointDir, "checkpoint");
  let vision: TensorStore;
  try {
    vision = await TensorStore.openDirectory(visionTowerDir, "vision tower");
  } catch (error) {
    await llm.close();
    throw error;
  }
  return {
    config,
    clip,
    llm,
    vision,
    tokens,
    tokenizerFiles,
    close: async () => {
      await Promise.all([llm.close(), vision.close()]);
    },
  };
}

function checkCompatible(config: PixelLMConfig, clip: ClipVisionConfig): void {
  if (config.mm_hidden_size !== clip.hidden_size) {
    throw new CheckpointError(
      "config_field",
      `checkpoint config.json: mm_hidden_size ${config.mm_hidden_size} does not match the vision tower's hidden_size ${clip.hidden_size}; use the CLIP tower the checkpoint was trained with`,
    );
  }
  const hiddenStates = clip.num_hidden_layers + 1;
  if (config.mm_vision_select_layer < -hiddenStates || hiddenStates + SECOND_SCALE_HIDDEN_STATE < 1) {
    throw new CheckpointError(
      "config_field",
      `checkpoint config.json: mm_vision_select_layer ${config.mm_vision_select_layer} is outside the vision tower's ${hiddenStates} hidden states`,
    );
  }
}

async function presentFiles(dir: string, names: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      await access(file);
      found.push(file);
    } catch {
      // optional tokenizer files may be absent
    }
  }
  return found;
}

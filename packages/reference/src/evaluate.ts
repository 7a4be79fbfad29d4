/**
 * The official inference loops, literally: `PixelLMForCausalLM.evaluate` (greedy generate with no
 * KV cache, every step re-embedding and re-running the whole sequence) and the teacher-forced
 * `model_forward(inference=True)` of the RefCOCO validation. Both gather SEG hidden states with
 * the "+255, shifted by one" mask, then decode masks for every complete group of 6.
 */
import { float32Tensor, type HostTensor } from "@pixellm/tensor";
import { ReferenceModelError } from "./errors";
import { argmax } from "./kernels/activations";
import { runLlm, type LlmOutput } from "./llm";
import { encodeImage, type ReferenceModel, type VisionOutput } from "./model";
import { spliceImage } from "./multimodal";
import { decodeLowResMasks, fuseSegTokens, LOW_RES_SIZE, textHiddenFcs } from "./pixel-decoder";
import { maskScores, postprocessMasks } from "./postprocess";

/** evaluate()'s "hack for IMAGE_TOKEN_INDEX": 256 image tokens replace one id. */
const IMAGE_OFFSET = 255;

export interface ImageInput {
  /** pixel_values [3, 448, 448]: normalised, zero-padded bottom/right. */
  readonly pixelValues: Float32Array;
  /** (h', w') after resizing the longest side to 448 (clip_resize_list). */
  readonly resizedSize: readonly [number, number];
  /** (H, W) of the original image (original_size_list). */
  readonly originalSize: readonly [number, number];
}

export interface EvaluateInput extends ImageInput {
  /** tokenizer_image_token output: one -200 placeholder. Truncated at its first 0, as evaluate() does. */
  readonly promptIds: readonly number[];
  readonly segTokenIds: readonly number[];
  readonly eosTokenId: number;
  readonly maxNewTokens: number;
}

export interface EvaluateOptions {
  /** Re-run CLIP and the projector at every step, as generate() does; results are identical. */
  readonly rerunVisionEachStep?: boolean;
  /** encodeImage() of these same pixel values, to skip the tower. */
  readonly vision?: VisionOutput;
}

export interface SegmentationOutput {
  /** SEG occurrences found by the mask, before the multiple-of-6 rule. */
  readonly segTokenCount: number;
  /** Gathered final-norm hidden states [6N, H] (N = 0 when the rule drops them). */
  readonly segHidden: HostTensor<"float32">;
  /** Fused prompts [N, 2, D]. */
  readonly segEmbeddings: HostTensor<"float32">;
  /** [N, 128, 128] */
  readonly lowResMasks: HostTensor<"float32">;
  /** Mask logits at the original size [N, H, W]; foreground is > 0. */
  readonly masks: HostTensor<"float32">;
  /** [N] */
  readonly scores: HostTensor<"float32">;
}

export interface EvaluateResult extends SegmentationOutput {
  /** Prompt (as fed) followed by the generated ids: generate()'s `sequences`. */
  readonly outputIds: readonly number[];
  readonly generatedIds: readonly number[];
  /** The last step's final-norm hidden states [len(outputIds) + 254, H]. */
  readonly hiddenStates: HostTensor<"float32">;
  /** The last step's logits [len(outputIds) + 254, V]. */
  readonly logits: HostTensor<"float32">;
  readonly vision: VisionOutput;
}

export interface TeacherForcedInput extends ImageInput {
  /** Prompt and answer ids, one -200 placeholder. */
  readonly ids: readonly number[];
  readonly segTokenIds: readonly number[];
  /** Text positions equal to this id get attention mask 0 (the collate's ids.ne(pad)); default config pad. */
  readonly padTokenId?: number;
}

export interface TeacherForcedResult extends SegmentationOutput {
  /** [len(ids) + 255, H] */
  readonly hiddenStates: HostTensor<"float32">;
  /** [len(ids) + 255, V] */
  readonly logits: HostTensor<"float32">;
  readonly vision: VisionOutput;
}

/** Positions of `hidden` whose NEXT id is a SEG id: isin(ids[1:], seg) prefixed with 255 zeros. */
export function segHiddenPositions(ids: readonly number[], segTokenIds: readonly number[]): number[] {
  const seg = new Set(segTokenIds);
  const positions: number[] = [];
  for (let k = 1; k < ids.length; k++) if (seg.has(ids[k]!)) positions.push(IMAGE_OFFSET + k - 1);
  return positions;
}

function llmStep(
  model: ReferenceModel,
  ids: readonly number[],
  textMask: readonly number[],
  vision: VisionOutput,
): LlmOutput {
  const { embeds, mask } = spliceImage(model.llm, ids, textMask, vision.imageEmbeds, vision.imageTokenMask);
  return runLlm(model.llm, embeds, mask);
}

/** Gathers the SEG rows, applies `drop` or the multiple rule, and decodes the masks. */
function segment(
  model: ReferenceModel,
  vision: VisionOutput,
  image: ImageInput,
  hidden: Float32Array,
  positions: readonly number[],
  onPartialGroup: "drop" | "throw",
): SegmentationOutput {
  const { config } = model;
  const h = config.hidden_size;
  const d = config.out_dim;
  const group = config.seg_token_num * 2;
  let rows = positions;
  if (rows.length % group !== 0) {
    if (onPartialGroup === "throw") {
      throw new ReferenceModelError(
        "seg_count",
        `the ids hold ${rows.length} SEG tokens after the image; teacher forcing needs a multiple of ${group}`,
      );
    }
    rows = [];
  }
  const segHidden = new Float32Array(rows.length * h);
  for (const [r, p] of rows.entries()) {
    if (p >= hidden.length / h)
      throw new ReferenceModelError("bad_input", `SEG position ${p} is past the sequence`);
    segHidden.set(hidden.subarray(p * h, (p + 1) * h), r * h);
  }
  const targets = rows.length / group;
  const prompts = fuseSegTokens(
    textHiddenFcs(model.decoder, segHidden, rows.length),
    d,
    config.seg_token_num,
  );
  const lowRes = decodeLowResMasks(model.decoder, prompts, vision.decoderFeatures, vision.grid);
  const masks = postprocessMasks(lowRes, LOW_RES_SIZE, image.resizedSize, image.originalSize);
  const [oh, ow] = image.originalSize;
  return {
    segTokenCount: positions.length,
    segHidden: float32Tensor([rows.length, h], segHidden),
    segEmbeddings: float32Tensor([targets, 2, d], prompts),
    lowResMasks: float32Tensor([targets, LOW_RES_SIZE, LOW_RES_SIZE], lowRes),
    masks: float32Tensor([targets, oh, ow], masks),
    scores: float32Tensor([targets], maskScores(masks, oh * ow)),
  };
}

export function evaluate(
  model: ReferenceModel,
  input: EvaluateInput,
  options: EvaluateOptions = {},
): EvaluateResult {
  const { config } = model;
  if (!Number.isInteger(input.maxNewTokens) || input.maxNewTokens < 1) {
    throw new ReferenceModelError(
      "bad_input",
      `maxNewTokens must be an integer >= 1 (got ${input.maxNewTokens})`,
    );
  }
  const firstZero = input.promptIds.indexOf(0);
  const prompt = firstZero >= 0 ? input.promptIds.slice(0, firstZero) : [...input.promptIds];
  const vision = options.vision ?? encodeImage(model, input.pixelValues, input.resizedSize);
  const ids = [...prompt];
  let last: LlmOutput | undefined;
  for (let step = 0; step < input.maxNewTokens; step++) {
    const stepVision = options.rerunVisionEachStep
      ? encodeImage(model, input.pixelValues, input.resizedSize)
      : vision;
    // generate()'s attention mask: all ones (the prompt holds no pad after the truncation)
    last = llmStep(model, ids, new Array<number>(ids.length).fill(1), stepVision);
    const rows = last.hidden.length / config.hidden_size;
    const next = argmax(last.logits, (rows - 1) * config.vocab_size, config.vocab_size);
    ids.push(next);
    if (next === input.eosTokenId) break;
  }
  const tokens = last!.hidden.length / config.hidden_size;
  return {
    ...segment(model, vision, input, last!.hidden, segHiddenPositions(ids, input.segTokenIds), "drop"),
    outputIds: ids,
    generatedIds: ids.slice(prompt.length),
    hiddenStates: float32Tensor([tokens, config.hidden_size], last!.hidden),
    logits: float32Tensor([tokens, config.vocab_size], last!.logits),
    vision,
  };
}

export function evaluateTeacherForced(
  model: ReferenceModel,
  input: TeacherForcedInput,
  options: Pick<EvaluateOptions, "vision"> = {},
): TeacherForcedResult {
  const { config } = model;
  const pad = input.padTokenId ?? config.pad_token_id;
  const vision = options.vision ?? encodeImage(model, input.pixelValues, input.resizedSize);
  const out = llmStep(
    model,
    input.ids,
    input.ids.map((id) => (id === pad ? 0 : 1)),
    vision,
  );
  const tokens = out.hidden.length / config.hidden_size;
  return {
    ...segment(model, vision, input, out.hidden, segHiddenPositions(input.ids, input.segTokenIds), "throw"),
    hiddenStates: float32Tensor([tokens, config.hidden_size], out.hidden),
    logits: float32Tensor([tokens, config.vocab_size], out.logits),
    vision,
  };
}

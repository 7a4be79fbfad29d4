/**
 * `--dump DIR`: every intermediate tensor of a segment call as .npy, named and shaped like the
 * official code's tensors (spec sections 1–4), for comparison with a PyTorch run of a checkpoint;
 * `dump.json` lists each file with its shape, dtype and the official expression it corresponds to.
 * The engine's own tensors come with its result; the rest come from a replay of the answer with
 * the graphs' dump outputs (engine traceSegment).
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type SegmentResult, traceSegment } from "@pixellm/engine";
import { maskLogitsAtOriginal } from "@pixellm/image";
import {
  type DType,
  type HostTensor,
  encodeNpy,
  float32Tensor,
  int64Tensor,
  makeTensor,
} from "@pixellm/tensor";

/** What each file is, in the official code's terms (PixelLM.py `evaluate`, llava_arch.py, chat.py). */
const OFFICIAL: Readonly<Record<string, string>> = {
  pixel_values: "images_clip: the image resized to 448 on its long side, ImageNet-normalised, zero-padded",
  clip_resize: "clip_resize_list[0]: (h', w') inside the 448 canvas",
  original_size: "original_size_list[0]: (H, W)",
  image_features: "hidden_states[-2][:, 1:] of the CLIP tower (layer 23, CLS dropped)",
  pre_image_features: "hidden_states[-11][:, 1:] of the CLIP tower (layer 14, CLS dropped)",
  image_embeds: "mm_projector of the 2x2-pooled layer-23 features: the 256 LLM image tokens",
  image_mask: "the 16x16 image-token validity mask that goes into the LLM attention mask",
  decoder_features: "image_feature_neck(out_mm_projector(...)) of both taps: [scale 0, scale 1]",
  prompt_ids: "tokenizer_image_token(prompt): the prompt ids, -200 where the image goes",
  output_ids: "the answer ids (generate's new tokens, with </s> when produced)",
  inputs_embeds:
    "LLM inputs_embeds at the last generation step: prompt with the image spliced in, answer[:-1]",
  attention_mask: "LLM attention_mask of the same positions: 0 on padded image tokens",
  output_hidden_states: "outputs.hidden_states[-1]: final-norm last-layer hidden states of those positions",
  logits: "per-step logits: row k is the distribution answer token k was picked from",
  codebook_hidden: "output_hidden_states at the positions that predicted each [SEGi] token, in order",
  pred_embeddings: "text_hidden_fcs[0] of codebook_hidden",
  sparse_embeddings: "the fused prompts E: mean of the 3 tokens per scale (multiseg_scalar), [N, 2, D]",
  l_low_res_masks_0: "mask_decoder level 0 output (l_low_res_masks, l = 0)",
  l_low_res_masks_1: "mask_decoder level 1 output (l_low_res_masks, l = 1)",
  low_res_masks: "0.5 * level 0 (resized to 128) + 0.5 * level 1",
  mask_logits: "postprocess_masks(low_res_masks): logits at the original size (mask = > 0)",
  mask_scores: "mask_score: mean sigmoid over each mask's positive pixels",
};

export interface DumpSource {
  readonly bundleDir: string;
  readonly image: Uint8Array;
  readonly result: SegmentResult;
}

/** Writes the tensors and dump.json; returns the names written and the ones the bundle lacks. */
export async function dumpTensors(
  dir: string,
  source: DumpSource,
): Promise<{ written: string[]; unavailable: readonly string[] }> {
  const { result } = source;
  const trace = await traceSegment(source.bundleDir, {
    image: source.image,
    promptIds: result.promptIds,
    outputIds: result.outputIds,
    codebookHidden: result.tensors.codebookHidden,
  });
  const tensors = { ...engineTensors(result), ...trace.tensors };
  const ordered = Object.keys(OFFICIAL).filter((name) => name in tensors);
  await mkdir(dir, { recursive: true });
  for (const name of ordered) await writeFile(path.join(dir, `${name}.npy`), encodeNpy(tensors[name]!));
  const index = Object.fromEntries(
    ordered.map((name) => [
      `${name}.npy`,
      { shape: tensors[name]!.shape, dtype: tensors[name]!.dtype, official: OFFICIAL[name] },
    ]),
  );
  await writeFile(
    path.join(dir, "dump.json"),
    JSON.stringify({ tensors: index, unavailable: trace.unavailable }, null, 2) + "\n",
  );
  return { written: ordered, unavailable: trace.unavailable };
}

/** The tensors the engine's result carries. */
function engineTensors(result: SegmentResult): Record<string, HostTensor> {
  const t = result.tensors;
  const targets = result.targets.length;
  // The official tensors carry a batch axis of 1 where ours are per item.
  const batched = <D extends DType>(tensor: HostTensor<D>) =>
    makeTensor(tensor.dtype, [1, ...tensor.shape], tensor.data);
  return {
    pixel_values: batched(t.pixelValues),
    clip_resize: int64Tensor([2], [...t.resized]),
    original_size: int64Tensor([2], [...t.original]),
    image_embeds: batched(t.imageEmbeds),
    image_mask: makeTensor(
      "int64",
      [1, ...t.imageMask.shape],
      BigInt64Array.from(t.imageMask.data, (v) => BigInt(v)),
    ),
    decoder_features: batched(t.decoderFeatures),
    prompt_ids: int64Tensor([result.promptIds.length], result.promptIds),
    output_ids: int64Tensor([result.outputIds.length], result.outputIds),
    codebook_hidden: t.codebookHidden,
    low_res_masks: t.lowResLogits,
    mask_logits: float32Tensor(
      [targets, ...t.original],
      targets > 0
        ? maskLogitsAtOriginal(t.lowResLogits, { resized: t.resized, original: t.original })
        : new Float32Array(0),
    ),
    mask_scores: float32Tensor(
      [targets],
      result.targets.map((target) => target.score),
    ),
  };
}

/**
 * `--dump DIR`: every intermediate tensor of a segment call as .npy, named and shaped like the
 * official code's tensors, for comparison with a PyTorch run.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { SegmentResult } from "@pixellm/engine";
import { maskLogitsAtOriginal } from "@pixellm/image";
import { LLM_IMAGE_TOKENS, LOW_RES_MASK_SIZE, PATCH_GRID } from "@pixellm/model";
import { type HostTensor, encodeNpy, float32Tensor, int64Tensor, makeTensor } from "@pixellm/tensor";

export async function dumpTensors(dir: string, result: SegmentResult): Promise<string[]> {
  const t = result.tensors;
  const size = Math.sqrt(t.pixelValues.length / 3);
  const hidden = t.codebookCount > 0 ? t.codebookHidden.length / t.codebookCount : 0;
  const targets = result.targets.length;
  const lowRes = float32Tensor([targets, 1, LOW_RES_MASK_SIZE, LOW_RES_MASK_SIZE], t.lowResLogits);
  const tensors: Record<string, HostTensor> = {
    pixel_values: float32Tensor([1, 3, size, size], t.pixelValues),
    clip_resize: int64Tensor([2], [...t.resized]),
    original_size: int64Tensor([2], [...t.original]),
    image_embeds: float32Tensor(
      [1, LLM_IMAGE_TOKENS, t.imageEmbeds.length / LLM_IMAGE_TOKENS],
      t.imageEmbeds,
    ),
    image_mask: makeTensor(
      "int64",
      [1, LLM_IMAGE_TOKENS],
      BigInt64Array.from(t.imageMask, (v) => BigInt(v)),
    ),
    decoder_features: float32Tensor(
      [1, 2, t.decoderFeatures.length / 2 / PATCH_GRID ** 2, PATCH_GRID, PATCH_GRID],
      t.decoderFeatures,
    ),
    prompt_ids: int64Tensor([result.promptIds.length], result.promptIds),
    output_ids: int64Tensor([result.outputIds.length], result.outputIds),
    codebook_hidden: float32Tensor([t.codebookCount, hidden], t.codebookHidden),
    low_res_masks: lowRes,
    mask_logits: float32Tensor(
      [targets, ...t.original],
      targets > 0
        ? maskLogitsAtOriginal(lowRes, { resized: t.resized, original: t.original })
        : new Float32Array(0),
    ),
  };
  await mkdir(dir, { recursive: true });
  for (const [name, tensor] of Object.entries(tensors))
    await writeFile(path.join(dir, `${name}.npy`), encodeNpy(tensor));
  return Object.keys(tensors);
}

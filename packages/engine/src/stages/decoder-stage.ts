/**
 * The pixel-decoding stage: codebook hidden states + decoder features → one mask per target
 * (decoder.onnx for all targets of the batch in one run, then resize/crop/threshold per image).
 *
 * The multiple-of-6 rule is applied here: if an item's count of codebook states is not a
 * multiple of seg_token_num × 2, all its masks are dropped (`evaluate` zeroes the SEG mask).
 */
import type { BundleManifest } from "@pixellm/bundle";
import { type CocoRle, encodeRle, postprocessMask, rleCountsToString, rleToBbox } from "@pixellm/image";
import { maskTargets } from "@pixellm/pipeline";
import { type HostTensor, float32Tensor, int64Tensor, makeTensor, numel } from "@pixellm/tensor";
import { EngineError } from "@pixellm/errors";
import type { ModelSession } from "../runtime/model-session";
import { type Outcome, runBatch } from "./outcome";

export interface DecodeInput {
  /** float32[n,H]: codebook hidden states in order of appearance (n may be 0). */
  readonly codebookHidden: HostTensor<"float32">;
  /** float32[2,D,32,32] from the vision stage. */
  readonly decoderFeatures: HostTensor<"float32">;
  /** [h', w'] of the resized image in the 448² canvas. */
  readonly resized: readonly [number, number];
  /** [H, W] of the original image. */
  readonly original: readonly [number, number];
}

export interface DecodedTarget {
  /** COCO RLE at the original resolution (pycocotools-compatible). */
  readonly mask: CocoRle;
  /** [x, y, width, height] of the mask, as pycocotools' toBbox. */
  readonly bbox: readonly [number, number, number, number];
  readonly area: number;
  /** Mean sigmoid over the mask's pixels (informational, as the reference's mask_score). */
  readonly score: number;
}

export interface DecodeOutput {
  readonly targets: DecodedTarget[];
  /** True when codebook states were present but not a multiple of the codebook size. */
  readonly dropped: boolean;
  /** float32[N,1,128,128]: low-resolution logits, for inspection and dumps. */
  readonly lowResLogits: HostTensor<"float32">;
}

/** Targets per decoder graph run (its activations grow with them; see run). */
const TARGETS_PER_RUN = 8;

interface ValidItem {
  readonly input: DecodeInput;
  readonly targets: number;
}

export class DecoderStage {
  private readonly hidden: number;
  private readonly codebook: number;
  private readonly featureShape: readonly [number, number, number, number];
  private readonly lowRes: number;

  constructor(
    private readonly session: ModelSession,
    manifest: BundleManifest,
  ) {
    this.hidden = manifest.config.hidden_size;
    this.codebook = manifest.geometry.codebookSize;
    const grid = manifest.geometry.patchGrid;
    this.featureShape = [2, manifest.config.out_dim, grid, grid];
    this.lowRes = manifest.geometry.lowResMaskSize;
  }

  async decode(batch: readonly DecodeInput[]): Promise<Outcome<DecodeOutput>[]> {
    return runBatch(
      batch,
      (item) => this.validate(item),
      (valid) => this.run(valid),
    );
  }

  private validate(input: DecodeInput): ValidItem {
    const hidden = input.codebookHidden;
    const n = hidden.shape[0] ?? 0;
    if (hidden.dtype !== "float32" || hidden.shape.length !== 2 || hidden.shape[1] !== this.hidden) {
      throw new EngineError(
        "invalid_argument",
        `codebook hidden states must be float32[n,${this.hidden}], got ${hidden.dtype}[${hidden.shape.join(",")}]`,
      );
    }
    const features = input.decoderFeatures;
    if (features.dtype !== "float32" || features.shape.join(",") !== this.featureShape.join(",")) {
      throw new EngineError(
        "invalid_argument",
        `decoder features must be float32[${this.featureShape.join(",")}], got ${features.dtype}[${features.shape.join(",")}]`,
      );
    }
    const [h, w] = input.resized;
    const [H, W] = input.original;
    if (![h, w, H, W].every((d) => Number.isInteger(d) && d >= 1)) {
      throw new EngineError(
        "invalid_argument",
        `image sizes must be positive integers, got resized [${h},${w}] original [${H},${W}]`,
      );
    }
    return { input, targets: maskTargets(n, this.codebook) };
  }

  private async run(items: readonly ValidItem[]): Promise<DecodeOutput[]> {
    const withTargets = items.filter((item) => item.targets > 0);
    const total = withTargets.reduce((sum, item) => sum + item.targets, 0);
    const area = this.lowRes * this.lowRes;
    const logits = new Float32Array(total * area); // [ΣN,1,128,128]
    if (total > 0) {
      const featureLength = numel(this.featureShape);
      const hidden = new Float32Array(total * this.codebook * this.hidden);
      const features = new Float32Array(withTargets.length * featureLength);
      const targetImage: number[] = [];
      let offset = 0;
      withTargets.forEach((item, m) => {
        hidden.set(item.input.codebookHidden.data, offset);
        offset += item.input.codebookHidden.data.length;
        features.set(item.input.decoderFeatures.data, m * featureLength);
        for (let k = 0; k < item.targets; k++) targetImage.push(m);
      });
      const featureTensor = float32Tensor([withTargets.length, ...this.featureShape], features);
      const perTarget = this.codebook * this.hidden;
      // The graph's activations grow with its targets (each attends over a copy of its image's
      // features): runs of at most TARGETS_PER_RUN keep them bounded however many are asked for.
      for (let start = 0; start < total; start += TARGETS_PER_RUN) {
        const end = Math.min(total, start + TARGETS_PER_RUN);
        // in: seg_hidden [n,C,H], decoder_features [M,2,D,32,32], target_image [n]
        const out = await this.session.run({
          seg_hidden: float32Tensor(
            [end - start, this.codebook, this.hidden],
            hidden.slice(start * perTarget, end * perTarget),
          ),
          decoder_features: featureTensor,
          target_image: int64Tensor([end - start], targetImage.slice(start, end)),
        });
        logits.set((out.low_res_masks as HostTensor<"float32">).data, start * area); // [n,1,128,128]
      }
    }
    let next = 0;
    return items.map((item) => {
      const own = logits.slice(next * area, (next + item.targets) * area);
      next += item.targets;
      const planes = makeTensor("float32", [item.targets, this.lowRes, this.lowRes], own);
      const lowResLogits = makeTensor("float32", [item.targets, 1, this.lowRes, this.lowRes], own);
      const [H, W] = item.input.original;
      const mask = item.targets > 0 ? new Uint8Array(H * W) : undefined;
      return {
        targets: Array.from({ length: item.targets }, (_, k) => encodedTarget(planes, k, item.input, mask)),
        dropped: item.targets === 0 && item.input.codebookHidden.shape[0]! > 0,
        lowResLogits,
      };
    });
  }
}

/**
 * Target `k` at the original size, made in `mask` (shared by the item's targets) and encoded
 * before the next one is made: a request holds one full-size mask, not one per target.
 */
function encodedTarget(
  planes: HostTensor<"float32">,
  k: number,
  input: DecodeInput,
  mask?: Uint8Array,
): DecodedTarget {
  const [H, W] = input.original;
  const made = postprocessMask(planes, k, input, mask);
  const rle = encodeRle(made.mask, H, W);
  return {
    mask: { size: [H, W], counts: rleCountsToString(rle.counts) },
    bbox: rleToBbox(rle),
    area: made.area,
    score: made.score,
  };
}

/**
 * The vision stage: preprocessed images → LLM image tokens, their mask and decoder features
 * (vision.onnx, one batched run per call).
 */
import type { BundleManifest } from "@pixellm/bundle";
import { type HostTensor, float32Tensor, int64Tensor, makeTensor, numel } from "@pixellm/tensor";
import { EngineError } from "@pixellm/errors";
import type { ModelSession } from "../runtime/model-session";
import { type Outcome, runBatch } from "./outcome";

export interface VisionInput {
  /** float32[3,448,448]: normalised, zero-padded bottom/right. */
  readonly pixelValues: HostTensor<"float32">;
  /** [h', w'] of the resized image inside the canvas. */
  readonly resized: readonly [number, number];
}

export interface VisionOutput {
  /** float32[256,H] */
  readonly imageEmbeds: HostTensor<"float32">;
  /** uint8[256]: 1 where the token covers the image */
  readonly imageMask: HostTensor<"uint8">;
  /** float32[2,D,32,32]: scale 0 (CLIP layer 23), scale 1 (layer 14) */
  readonly decoderFeatures: HostTensor<"float32">;
}

export class VisionStage {
  private readonly size: number;

  constructor(
    private readonly session: ModelSession,
    private readonly manifest: BundleManifest,
  ) {
    this.size = manifest.preprocessing.imageSize;
  }

  async encode(batch: readonly VisionInput[]): Promise<Outcome<VisionOutput>[]> {
    return runBatch(
      batch,
      (item) => this.validate(item),
      (valid) => this.run(valid),
    );
  }

  private validate(item: VisionInput): VisionInput {
    const { dtype, shape } = item.pixelValues;
    if (dtype !== "float32" || shape.join(",") !== `3,${this.size},${this.size}`) {
      throw new EngineError(
        "invalid_argument",
        `pixel values must be float32[3,${this.size},${this.size}], got ${dtype}[${shape.join(",")}]`,
      );
    }
    const [h, w] = item.resized;
    if (
      ![h, w].every((d) => Number.isInteger(d) && d >= 1 && d <= this.size) ||
      Math.max(h, w) !== this.size
    ) {
      throw new EngineError(
        "invalid_argument",
        `resized size must be whole pixels with the longer side ${this.size}, got [${h},${w}]`,
      );
    }
    return item;
  }

  private async run(batch: readonly VisionInput[]): Promise<VisionOutput[]> {
    const n = batch.length;
    const perImage = 3 * this.size * this.size;
    const pixels = new Float32Array(n * perImage);
    batch.forEach((item, i) => pixels.set(item.pixelValues.data, i * perImage));
    const out = await this.session.run({
      pixel_values: float32Tensor([n, 3, this.size, this.size], pixels),
      resized_hw: int64Tensor(
        [n, 2],
        batch.flatMap((item) => [...item.resized]),
      ),
    });
    const embeds = out.image_embeds as HostTensor<"float32">; // [n,256,H]
    const mask = out.image_mask as HostTensor<"int64">; // [n,256]
    const features = out.decoder_features as HostTensor<"float32">; // [n,2,D,32,32]
    return batch.map((_, i) => ({
      imageEmbeds: itemOf(embeds, i),
      imageMask: makeTensor("uint8", mask.shape.slice(1), Uint8Array.from(itemOf(mask, i).data, Number)),
      decoderFeatures: itemOf(features, i),
    }));
  }
}

/** Item `i` of a batched tensor, with the item's shape (the batch axis dropped). */
function itemOf<D extends "float32" | "int64">(tensor: HostTensor<D>, i: number): HostTensor<D> {
  const shape = tensor.shape.slice(1);
  const per = numel(shape);
  return makeTensor(tensor.dtype, shape, tensor.data.slice(i * per, (i + 1) * per) as HostTensor<D>["data"]);
}

/**
 * The vision stage: resized or preprocessed images → LLM image tokens, their mask and decoder
 * features (vision.onnx, one batched run per call). A resized RGB image is normalised here, in
 * the stage's thread, rather than by its caller.
 */
import type { BundleManifest } from "@pixellm/bundle";
import { normalizeForClip } from "@pixellm/image";
import { type HostTensor, float32Tensor, int64Tensor, makeTensor, numel } from "@pixellm/tensor";
import { EngineError } from "@pixellm/errors";
import type { ModelSession } from "../runtime/model-session";
import { type Outcome, runBatch } from "./outcome";

/** An image as the stage takes it: resized RGB, or already normalised into the canvas. */
export type VisionInput =
  | {
      /** uint8[h',w',3]: resized so that its longer side is the canvas size (448). */
      readonly rgb: HostTensor<"uint8">;
    }
  | {
      /** float32[3,448,448]: normalised, zero-padded bottom/right. */
      readonly pixelValues: HostTensor<"float32">;
      /** [h', w'] of the resized image inside the canvas. */
      readonly resized: readonly [number, number];
    };

interface CanvasImage {
  readonly pixelValues: Float32Array;
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
      (item) => this.canvas(item),
      (valid) => this.run(valid),
    );
  }

  /** The item's normalised canvas, its size checked. */
  private canvas(item: VisionInput): CanvasImage {
    if ("rgb" in item) {
      const [h, w, channels] = item.rgb.shape;
      if (item.rgb.dtype !== "uint8" || item.rgb.shape.length !== 3 || channels !== 3)
        throw new EngineError(
          "invalid_argument",
          `resized RGB must be uint8[h,w,3], got ${item.rgb.dtype}[${item.rgb.shape.join(",")}]`,
        );
      const resized = this.checkResized([h!, w!]);
      return {
        pixelValues: normalizeForClip({ height: h!, width: w!, data: item.rgb.data }, this.size),
        resized,
      };
    }
    const { dtype, shape } = item.pixelValues;
    if (dtype !== "float32" || shape.join(",") !== `3,${this.size},${this.size}`) {
      throw new EngineError(
        "invalid_argument",
        `pixel values must be float32[3,${this.size},${this.size}], got ${dtype}[${shape.join(",")}]`,
      );
    }
    return { pixelValues: item.pixelValues.data, resized: this.checkResized(item.resized) };
  }

  private checkResized([h, w]: readonly [number, number]): readonly [number, number] {
    if (
      ![h, w].every((d) => Number.isInteger(d) && d >= 1 && d <= this.size) ||
      Math.max(h, w) !== this.size
    ) {
      throw new EngineError(
        "invalid_argument",
        `resized size must be whole pixels with the longer side ${this.size}, got [${h},${w}]`,
      );
    }
    return [h, w];
  }

  private async run(batch: readonly CanvasImage[]): Promise<VisionOutput[]> {
    const n = batch.length;
    const perImage = 3 * this.size * this.size;
    const pixels = new Float32Array(n * perImage);
    batch.forEach((item, i) => pixels.set(item.pixelValues, i * perImage));
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

/**
 * The VisionEncoder boundary in one module, used on both sides of it: the gateway encodes
 * requests and decodes responses, the service decodes requests and encodes responses, and the
 * embedded mode builds the same stage input from an image. Tensors keep their shapes from the
 * stage to the gateway; every decode checks dtype and shape against the bundle and names the
 * field that is wrong.
 */
import {
  type EncodeRequest,
  type EncodeRequest__Output,
  type EncodeResponse,
  type EncodeResponse__Output,
  decodeTensor,
  encodeTensor,
} from "@pixellm/api";
import type { BundleManifest } from "@pixellm/bundle";
import type { VisionInput, VisionOutput } from "@pixellm/engine";
import type { RgbImage } from "@pixellm/image";
import { EngineError } from "@pixellm/errors";
import { type HostTensor, makeTensor } from "@pixellm/tensor";

/** The bundle's sizes this boundary checks against. */
export interface VisionDims {
  /** The square canvas side (448). */
  readonly imageSize: number;
  readonly hidden: number;
  readonly outDim: number;
  readonly grid: number;
  readonly imageTokens: number;
}

export function visionDims(manifest: BundleManifest): VisionDims {
  return {
    imageSize: manifest.preprocessing.imageSize,
    hidden: manifest.config.hidden_size,
    outDim: manifest.config.out_dim,
    grid: manifest.geometry.patchGrid,
    imageTokens: manifest.geometry.llmImageTokens,
  };
}

/** The stage input of a resized RGB image (the stage normalises it, in its worker thread). */
export function visionInput(image: RgbImage): { readonly rgb: HostTensor<"uint8"> } {
  return { rgb: makeTensor("uint8", [image.height, image.width, 3], image.data) };
}

// in: resized_rgb uint8[h',w',3] (the gateway's admitted image), resized (h', w')
export function encodeEncodeRequest(requestId: string, image: RgbImage): EncodeRequest {
  return {
    requestId,
    resizedRgb: encodeTensor(visionInput(image).rgb),
    resized: { height: image.height, width: image.width },
  };
}

/** The stage input from either image form of a request. */
export function decodeEncodeRequest(request: EncodeRequest__Output, dims: VisionDims): VisionInput {
  const resized = request.resized;
  if (!resized) throw new EngineError("invalid_argument", "resized (h', w') is required");
  const [h, w] = [resized.height, resized.width];
  if (request.image === "resizedRgb")
    return { rgb: decodeTensor("resized_rgb", request.resizedRgb, { dtype: "uint8", shape: [h, w, 3] }) };
  const size = dims.imageSize;
  return {
    pixelValues: decodeTensor("pixel_values", request.pixelValues, {
      dtype: "float32",
      shape: [3, size, size],
    }),
    resized: [h, w],
  };
}

// out: image_embeds float32[256,H], image_mask uint8[256], decoder_features float32[2,D,32,32] (checksummed)
export function encodeEncodeResponse(out: VisionOutput): EncodeResponse {
  return {
    imageEmbeds: encodeTensor(out.imageEmbeds),
    imageMask: encodeTensor(out.imageMask),
    decoderFeatures: encodeTensor(out.decoderFeatures, { checksum: true }),
  };
}

export function decodeEncodeResponse(response: EncodeResponse__Output, dims: VisionDims): VisionOutput {
  const { imageTokens, hidden, outDim, grid } = dims;
  return {
    imageEmbeds: decodeTensor("image_embeds", response.imageEmbeds, {
      dtype: "float32",
      shape: [imageTokens, hidden],
    }),
    imageMask: decodeTensor("image_mask", response.imageMask, { dtype: "uint8", shape: [imageTokens] }),
    decoderFeatures: decodeTensor("decoder_features", response.decoderFeatures, {
      dtype: "float32",
      shape: [2, outDim, grid, grid],
    }),
  };
}

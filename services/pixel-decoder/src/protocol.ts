/**
 * PixelDecoder messages ↔ the decoder stage's items: request tensors decoded and checked (each
 * failure names its field), results encoded as COCO RLE masks.
 */
import {
  type DecodeRequest__Output,
  type DecodeResponse,
  type ImageSize__Output,
  decodeTensor,
  encodeTensor,
} from "@pixellm/api";
import type { BundleManifest } from "@pixellm/bundle";
import type { DecodeInput, DecodeOutput } from "@pixellm/engine";
import { DEFAULT_DECODE_LIMITS, longestSideShape } from "@pixellm/image";
import { EngineError } from "@pixellm/errors";
import { makeTensor } from "@pixellm/tensor";

export function toDecodeInput(request: DecodeRequest__Output, manifest: BundleManifest): DecodeInput {
  const H = manifest.config.hidden_size;
  const D = manifest.config.out_dim;
  const grid = manifest.geometry.patchGrid;
  // in: codebook_hidden float32[n,H] (n may be 0), decoder_features float32[2,D,32,32]
  const hidden = decodeTensor("codebook_hidden", request.codebookHidden, {
    dtype: "float32",
    shape: [null, H],
  });
  const features = decodeTensor("decoder_features", request.decoderFeatures, {
    dtype: "float32",
    shape: [2, D, grid, grid],
  });
  const original = imageSize("original", request.original);
  const resized = imageSize("resized", request.resized);
  const expected = longestSideShape(original[0], original[1], manifest.preprocessing.imageSize);
  if (resized[0] !== expected[0] || resized[1] !== expected[1]) {
    throw new EngineError(
      "invalid_argument",
      `resized must be the original ${original[0]}x${original[1]} with its longer side scaled to ` +
        `${manifest.preprocessing.imageSize}: ${expected[0]}x${expected[1]}, got ${resized[0]}x${resized[1]}`,
    );
  }
  return {
    codebookHidden: hidden.data,
    codebookCount: hidden.shape[0]!,
    decoderFeatures: features.data,
    resized,
    original,
  };
}

// out: masks at the original size; low_res_logits float32[N,1,128,128] when asked for
export function toDecodeResponse(
  output: DecodeOutput,
  includeLowRes: boolean,
  lowRes: number,
): DecodeResponse {
  return {
    masks: output.targets.map((target) => ({
      rle: { size: [...target.mask.size], counts: target.mask.counts },
      bbox: [...target.bbox],
      area: target.area,
      score: target.score,
    })),
    dropped: output.dropped,
    lowResLogits: includeLowRes
      ? encodeTensor(makeTensor("float32", [output.targets.length, 1, lowRes, lowRes], output.lowResLogits), {
          checksum: true,
        })
      : null,
  };
}

/** [height, width] of a required ImageSize, positive and within the decode pixel limit. */
function imageSize(field: string, size: ImageSize__Output | null): [number, number] {
  if (!size) throw new EngineError("invalid_argument", `${field} (height, width) is required`);
  const { height, width } = size;
  if (height < 1 || width < 1 || height * width > DEFAULT_DECODE_LIMITS.maxPixels) {
    throw new EngineError(
      "invalid_argument",
      `${field} must be at least 1x1 and at most ${DEFAULT_DECODE_LIMITS.maxPixels} pixels, got ${height}x${width}`,
    );
  }
  return [height, width];
}

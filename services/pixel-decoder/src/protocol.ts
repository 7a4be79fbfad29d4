/**
 * The PixelDecoder boundary in one module, used on both sides of it: the gateway encodes
 * requests and decodes responses, the service decodes requests and encodes responses. Tensors
 * keep their shapes; every decode checks dtype and shape against the bundle and names the field
 * that is wrong.
 */
import {
  type DecodeRequest,
  type DecodeRequest__Output,
  type DecodeResponse,
  type DecodeResponse__Output,
  type ImageSize__Output,
  decodeTensor,
  encodeTensor,
} from "@pixellm/api";
import type { BundleManifest } from "@pixellm/bundle";
import type { DecodeInput, DecodeOutput, DecodedTarget } from "@pixellm/engine";
import { DEFAULT_DECODE_LIMITS, longestSideShape } from "@pixellm/image";
import { EngineError } from "@pixellm/errors";

/** What the gateway keeps of a decode: the masks, and whether they were dropped. */
export interface DecodeOutcome {
  readonly targets: readonly DecodedTarget[];
  readonly dropped: boolean;
}

// in: codebook_hidden float32[n,H] (n may be 0), decoder_features float32[2,D,32,32], both checksummed
export function encodeDecodeRequest(
  requestId: string,
  input: DecodeInput,
  includeLowRes = false,
): DecodeRequest {
  return {
    requestId,
    codebookHidden: encodeTensor(input.codebookHidden, { checksum: true }),
    decoderFeatures: encodeTensor(input.decoderFeatures, { checksum: true }),
    resized: { height: input.resized[0], width: input.resized[1] },
    original: { height: input.original[0], width: input.original[1] },
    includeLowRes,
  };
}

export function decodeDecodeRequest(request: DecodeRequest__Output, manifest: BundleManifest): DecodeInput {
  const H = manifest.config.hidden_size;
  const D = manifest.config.out_dim;
  const grid = manifest.geometry.patchGrid;
  const codebookHidden = decodeTensor("codebook_hidden", request.codebookHidden, {
    dtype: "float32",
    shape: [null, H],
  });
  const decoderFeatures = decodeTensor("decoder_features", request.decoderFeatures, {
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
  return { codebookHidden, decoderFeatures, resized, original };
}

// out: masks at the original size; low_res_logits float32[N,1,128,128] when asked for
export function encodeDecodeResponse(output: DecodeOutput, includeLowRes: boolean): DecodeResponse {
  return {
    masks: output.targets.map((target) => ({
      rle: { size: [...target.mask.size], counts: target.mask.counts },
      bbox: [...target.bbox],
      area: target.area,
      score: target.score,
    })),
    dropped: output.dropped,
    lowResLogits: includeLowRes ? encodeTensor(output.lowResLogits, { checksum: true }) : null,
  };
}

export function decodeDecodeResponse(response: DecodeResponse__Output): DecodeOutcome {
  return {
    dropped: response.dropped,
    targets: response.masks.map((m, i) => {
      const [height, width] = m.rle?.size ?? [];
      if (height === undefined || width === undefined || m.bbox.length !== 4)
        throw new EngineError("internal", `masks[${i}] lacks its RLE size or bounding box`);
      return {
        mask: { size: [height, width], counts: m.rle?.counts ?? "" },
        bbox: [m.bbox[0]!, m.bbox[1]!, m.bbox[2]!, m.bbox[3]!],
        area: Number(m.area),
        score: m.score,
      };
    }),
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

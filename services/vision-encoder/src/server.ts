/** Thin gRPC handlers: decode the request tensors, queue for a batch, encode the response. */
import type * as grpc from "@grpc/grpc-js";
import {
  type EncodeRequest__Output,
  type EncodeResponse,
  type InfoRequest__Output,
  type StageInfo,
  decodeTensor,
  encodeTensor,
} from "@pixellm/api";
import type { VisionInput, VisionOutput } from "@pixellm/engine";
import { normalizeForClip } from "@pixellm/image";
import { EngineError } from "@pixellm/errors";
import { type DynamicBatcher, callContext, stageInfo, unaryHandler } from "@pixellm/service-kit";
import { makeTensor } from "@pixellm/tensor";
import type { VisionConfig } from "./config";
import type { VisionModel } from "./model";

export function visionHandlers(
  model: VisionModel,
  batcher: DynamicBatcher<VisionInput, VisionOutput>,
  config: VisionConfig,
): grpc.UntypedServiceImplementation {
  const { manifest } = model.bundle;
  const size = manifest.preprocessing.imageSize;
  const H = manifest.config.hidden_size;
  const D = manifest.config.out_dim;
  const grid = manifest.geometry.patchGrid;
  const tokens = manifest.geometry.llmImageTokens;
  return {
    Encode: unaryHandler<EncodeRequest__Output, EncodeResponse>(async (call) => {
      const resized = call.request.resized;
      if (!resized) throw new EngineError("invalid_argument", "resized (h', w') is required");
      const pixelValues = pixelValuesOf(call.request, [resized.height, resized.width], size);
      const out = await batcher.submit(
        { pixelValues, resized: [resized.height, resized.width] },
        callContext(call),
      );
      return {
        imageEmbeds: encodeTensor(makeTensor("float32", [tokens, H], out.imageEmbeds)),
        imageMask: encodeTensor(makeTensor("uint8", [tokens], out.imageMask)),
        decoderFeatures: encodeTensor(makeTensor("float32", [2, D, grid, grid], out.decoderFeatures), {
          checksum: true,
        }),
      };
    }),
    Info: unaryHandler<InfoRequest__Output, StageInfo>(() =>
      Promise.resolve(
        stageInfo("vision-encoder", model.bundle, model.provider, batcher.stats(), {
          maxBatchSize: config.maxBatchSize,
          maxBatchDelayMs: config.maxBatchDelayMs,
        }),
      ),
    ),
  };
}

/** The float32 canvas from either image form of the request (normalising resized RGB here). */
function pixelValuesOf(request: EncodeRequest__Output, [h, w]: [number, number], size: number): Float32Array {
  if (request.image === "resizedRgb") {
    const rgb = decodeTensor("resized_rgb", request.resizedRgb, { dtype: "uint8", shape: [h, w, 3] });
    if (h > size || w > size)
      throw new EngineError("invalid_argument", `resized ${h}x${w} does not fit the ${size}x${size} canvas`);
    return normalizeForClip({ width: w, height: h, data: rgb.data }, size);
  }
  return decodeTensor("pixel_values", request.pixelValues, { dtype: "float32", shape: [3, size, size] }).data;
}

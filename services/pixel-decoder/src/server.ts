/** Thin gRPC handlers: decode the request tensors, queue for a batch, encode the masks. */
import type * as grpc from "@grpc/grpc-js";
import type { DecodeRequest__Output, DecodeResponse, InfoRequest__Output, StageInfo } from "@pixellm/api";
import type { DecodeInput, DecodeOutput } from "@pixellm/engine";
import { type DynamicBatcher, callContext, stageInfo, unaryHandler } from "@pixellm/service-kit";
import type { DecoderConfig } from "./config";
import { toDecodeInput, toDecodeResponse } from "./messages";
import type { DecoderModel } from "./model";

export function decoderHandlers(
  model: DecoderModel,
  batcher: DynamicBatcher<DecodeInput, DecodeOutput>,
  config: DecoderConfig,
): grpc.UntypedServiceImplementation {
  const { manifest } = model.bundle;
  return {
    Decode: unaryHandler<DecodeRequest__Output, DecodeResponse>(async (call) => {
      const input = toDecodeInput(call.request, manifest);
      const output = await batcher.submit(input, callContext(call));
      return toDecodeResponse(output, call.request.includeLowRes, manifest.geometry.lowResMaskSize);
    }),
    Info: unaryHandler<InfoRequest__Output, StageInfo>(() =>
      Promise.resolve(
        stageInfo("pixel-decoder", model.bundle, model.provider, batcher.stats(), {
          maxBatchSize: config.maxBatchSize,
          maxBatchDelayMs: config.maxBatchDelayMs,
        }),
      ),
    ),
  };
}

/** Thin gRPC handlers: decode the request, queue for a batch, encode the masks (protocol.ts). */
import type * as grpc from "@grpc/grpc-js";
import type { DecodeRequest__Output, DecodeResponse, InfoRequest__Output, StageInfo } from "@pixellm/api";
import { callContext, stageInfo, unaryHandler } from "@pixellm/service-kit";
import type { DecoderConfig } from "./config";
import { decodeDecodeRequest, encodeDecodeResponse } from "./protocol";
import type { DecoderRuntime } from "./runtime";

export function decoderHandlers(
  runtime: DecoderRuntime,
  config: DecoderConfig,
): grpc.UntypedServiceImplementation {
  return {
    Decode: unaryHandler<DecodeRequest__Output, DecodeResponse>(async (call) => {
      const input = decodeDecodeRequest(call.request, runtime.bundle.manifest);
      const output = await runtime.batches.submit(input, callContext(call));
      return encodeDecodeResponse(output, call.request.includeLowRes);
    }),
    Info: unaryHandler<InfoRequest__Output, StageInfo>(() =>
      Promise.resolve(
        stageInfo("pixel-decoder", runtime.bundle, runtime.provider, runtime.batches.stats(), {
          maxBatchSize: config.maxBatchSize,
          maxBatchDelayMs: config.maxBatchDelayMs,
        }),
      ),
    ),
  };
}

/** Thin gRPC handlers: decode the request, queue for a batch, encode the response (protocol.ts). */
import type * as grpc from "@grpc/grpc-js";
import type { EncodeRequest__Output, EncodeResponse, InfoRequest__Output, StageInfo } from "@pixellm/api";
import { callContext, stageInfo, unaryHandler } from "@pixellm/service-kit";
import type { VisionConfig } from "./config";
import { decodeEncodeRequest, encodeEncodeResponse } from "./protocol";
import type { VisionRuntime } from "./runtime";

export function visionHandlers(
  runtime: VisionRuntime,
  config: VisionConfig,
): grpc.UntypedServiceImplementation {
  return {
    Encode: unaryHandler<EncodeRequest__Output, EncodeResponse>(async (call) => {
      const input = decodeEncodeRequest(call.request, runtime.dims);
      return encodeEncodeResponse(await runtime.batches.submit(input, callContext(call)));
    }),
    Info: unaryHandler<InfoRequest__Output, StageInfo>(() =>
      Promise.resolve(
        stageInfo("vision-encoder", runtime.bundle, runtime.provider, runtime.batches.stats(), {
          maxBatchSize: config.maxBatchSize,
          maxBatchDelayMs: config.maxBatchDelayMs,
        }),
      ),
    ),
  };
}

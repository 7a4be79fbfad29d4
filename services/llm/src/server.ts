/** Thin gRPC handlers: decode the request, generate on the runtime, stream tokens and the result (protocol.ts). */
import type * as grpc from "@grpc/grpc-js";
import type { GenerateRequest__Output, GenerateResponse, InfoRequest__Output, StageInfo } from "@pixellm/api";
import { callContext, serverStreamHandler, stageInfo, unaryHandler } from "@pixellm/service-kit";
import type { LlmConfig } from "./config";
import { decodeGenerateRequest, encodeGenerationDone } from "./protocol";
import type { LlmRuntime } from "./runtime";
import { TokenStream } from "./token-stream";

export function llmHandlers(runtime: LlmRuntime, config: LlmConfig): grpc.UntypedServiceImplementation {
  return {
    Generate: serverStreamHandler<GenerateRequest__Output, GenerateResponse>(async (call) => {
      const input = decodeGenerateRequest(call.request, runtime.dims);
      const context = callContext(call);
      const stream = new TokenStream((ids) => {
        if (!call.cancelled) call.write({ tokens: { ids } });
      }, config.streamFlushMs);
      // Pending deltas go out before the final message, and when the generation fails.
      const result = await runtime
        .generate(input, { ...context, onToken: (token) => stream.push(token) })
        .finally(() => stream.flush());
      call.write({ done: encodeGenerationDone(result) });
    }),
    Info: unaryHandler<InfoRequest__Output, StageInfo>(() =>
      Promise.resolve(
        stageInfo("llm", runtime.bundle, runtime.provider, runtime.counters(), {
          maxBatchSize: config.maxBatchSize,
          kvBudgetTokens: config.kvBudgetTokens,
        }),
      ),
    ),
  };
}

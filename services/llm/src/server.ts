/** Thin gRPC handlers: decode the request, submit it to the scheduler, stream tokens and the result. */
import type * as grpc from "@grpc/grpc-js";
import type { GenerateRequest__Output, GenerateResponse, InfoRequest__Output, StageInfo } from "@pixellm/api";
import type { LlmScheduler } from "@pixellm/engine";
import { EngineError } from "@pixellm/errors";
import { callContext, serverStreamHandler, stageInfo, unaryHandler } from "@pixellm/service-kit";
import type { LlmConfig } from "./config";
import type { GenerationTelemetry } from "./generation-telemetry";
import { stageCounters, toGenerationDone, toGenerationRequest } from "./messages";
import { TokenStream } from "./token-stream";
import type { LlmModel } from "./model";

/** Admission's own counter: the scheduler's queue has no bound, this service's does. */
export interface Admission {
  rejected: number;
}

export function llmHandlers(
  model: LlmModel,
  scheduler: LlmScheduler,
  config: LlmConfig,
  admission: Admission,
  telemetry: GenerationTelemetry,
): grpc.UntypedServiceImplementation {
  const dims = model.runner.dims;
  return {
    Generate: serverStreamHandler<GenerateRequest__Output, GenerateResponse>(async (call) => {
      const arrivedAt = performance.now();
      if (scheduler.stats().waiting >= config.maxQueue) {
        admission.rejected++;
        throw new EngineError(
          "resource_exhausted",
          `the generation queue is full (${config.maxQueue} waiting); retry later`,
        );
      }
      const context = callContext(call);
      const observeToken = telemetry.tokens(arrivedAt);
      const stream = new TokenStream((ids) => {
        if (!call.cancelled) call.write({ tokens: { ids } });
      }, config.streamFlushMs);
      const request = toGenerationRequest(call.request, dims, context, (token) => {
        observeToken(token);
        stream.push(token);
      });
      telemetry.track(request, context.trace);
      // Pending deltas go out before the final message, and when the generation fails.
      const result = await scheduler.submit(request).finally(() => stream.flush());
      call.write({ done: toGenerationDone(result, dims.hidden) });
    }),
    Info: unaryHandler<InfoRequest__Output, StageInfo>(() =>
      Promise.resolve(
        stageInfo("llm", model.bundle, model.provider, stageCounters(scheduler.stats(), admission.rejected), {
          maxBatchSize: config.maxBatchSize,
          kvBudgetTokens: config.kvBudgetTokens,
        }),
      ),
    ),
  };
}

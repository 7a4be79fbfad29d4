/** Thin gRPC handlers: decode the request, submit it to the scheduler, stream tokens and the result. */
import type * as grpc from "@grpc/grpc-js";
import type { GenerateRequest__Output, GenerateResponse, InfoRequest__Output, StageInfo } from "@pixellm/api";
import type { LlmScheduler } from "@pixellm/engine";
import { EngineError } from "@pixellm/pipeline";
import { callContext, serverStreamHandler, stageInfo, unaryHandler } from "@pixellm/service-kit";
import type { LlmConfig } from "./config";
import { stageCounters, toGenerationDone, toGenerationRequest } from "./messages";
import type { LlmModel } from "./model";

export function llmHandlers(
  model: LlmModel,
  scheduler: LlmScheduler,
  config: LlmConfig,
): grpc.UntypedServiceImplementation {
  const dims = model.runner.dims;
  let rejected = 0;
  return {
    Generate: serverStreamHandler<GenerateRequest__Output, GenerateResponse>(async (call) => {
      // The scheduler's admission queue has no bound of its own.
      if (scheduler.stats().waiting >= config.maxQueue) {
        rejected++;
        throw new EngineError(
          "resource_exhausted",
          `the generation queue is full (${config.maxQueue} waiting); retry later`,
        );
      }
      const request = toGenerationRequest(call.request, dims, callContext(call), (token) => {
        if (!call.cancelled) call.write({ tokens: { ids: [token] } });
      });
      const result = await scheduler.submit(request);
      call.write({ done: toGenerationDone(result, dims.hidden) });
    }),
    Info: unaryHandler<InfoRequest__Output, StageInfo>(() =>
      Promise.resolve(
        stageInfo("llm", model.bundle, model.provider, stageCounters(scheduler.stats(), rejected), {
          maxBatchSize: config.maxBatchSize,
          kvBudgetTokens: config.kvBudgetTokens,
        }),
      ),
    ),
  };
}

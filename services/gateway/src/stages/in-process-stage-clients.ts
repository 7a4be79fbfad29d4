/**
 * The embedded mode's stages: the same stage runtimes the stage services run (worker threads,
 * batching, queues and telemetry as VISION_*, LLM_* and DECODER_* configure them), in this
 * process, behind the same interface as the remote replicas. The engine, and with it
 * onnxruntime (in worker threads), is loaded only here, only in the embedded mode.
 */
import { context as activeContext } from "@opentelemetry/api";
import type { LoadedBundle } from "@pixellm/bundle";
import { type Logger, stageWorkerOptions } from "@pixellm/service-kit";
import { visionInput } from "@pixellm/vision-encoder/protocol";
import type { GatewayConfig } from "../config";
import type { StageClients } from "./stage-clients";

export async function loadInProcessStages(
  config: GatewayConfig,
  bundle: LoadedBundle,
  logger: Logger,
): Promise<StageClients> {
  const [engine, vision, llm, decoder] = await Promise.all([
    import("@pixellm/engine"),
    import("@pixellm/vision-encoder"),
    import("@pixellm/llm"),
    import("@pixellm/pixel-decoder"),
  ]);
  // The stage settings from the environment, with what the gateway decided for all of them.
  const env = {
    ...process.env,
    PIXELLM_BUNDLE: config.bundle,
    PIXELLM_EXECUTION_PROVIDER: config.provider,
    PIXELLM_WARM_UP: String(config.warmUp),
  };
  const configs = {
    vision: vision.visionConfig(env),
    llm: llm.llmConfig(env),
    decoder: decoder.decoderConfig(env),
  };
  const workers = await engine.startAllStageWorkers(engine.modelDims(bundle.manifest), {
    ...stageWorkerOptions(configs.llm, logger),
    kvCapacityTokens: configs.llm.kvBudgetTokens,
  });
  const closing: (() => Promise<void>)[] = [];
  try {
    const visionStage = await vision.visionRuntime(configs.vision, bundle, workers.vision);
    closing.push(() => visionStage.batches.close());
    const llmStage = await llm.LlmRuntime.start(configs.llm, bundle, workers.llm);
    closing.push(() => llmStage.close());
    const decoderStage = await decoder.decoderRuntime(configs.decoder, bundle, workers.decoder);
    return {
      kvBudgetTokens: () => configs.llm.kvBudgetTokens,
      encode: (image, context) =>
        visionStage.batches.submit(visionInput(image), {
          ...context,
          trace: activeContext.active(),
        }),
      generate: (input, context, onTokens) =>
        llmStage.generate(input, {
          deadline: context.deadline,
          signal: context.signal,
          trace: activeContext.active(),
          onToken: (token) => onTokens([token]),
        }),
      decode: async (input, context) => {
        const out = await decoderStage.batches.submit(input, { ...context, trace: activeContext.active() });
        return { dropped: out.dropped, targets: out.targets };
      },
      close: async () => {
        await Promise.all([visionStage.batches.drain(), llmStage.drain(), decoderStage.batches.drain()]);
        await Promise.all([visionStage.batches.close(), llmStage.close(), decoderStage.batches.close()]);
      },
    };
  } catch (error) {
    // The stages that started stop again, the one that failed closed its worker, and the workers
    // of stages after it are closed here.
    await Promise.all(closing.map((close) => close()));
    const unused = [workers.vision, workers.llm, workers.decoder].slice(closing.length + 1);
    await Promise.all(unused.map((worker) => worker.close()));
    throw error;
  }
}

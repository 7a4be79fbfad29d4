/**
 * The embedded mode's stages: the engine's stage objects in this process (dynamic batching for
 * vision and decoding, continuous batching for generation), behind the same interface as the
 * remote replicas. The engine — and with it onnxruntime — is imported only here. The stages
 * report the same batch metrics and spans as the stage services (from this process).
 */
import { type Context, context as activeContext } from "@opentelemetry/api";
import type { LoadedBundle } from "@pixellm/bundle";
import type {
  DecodeInput as EngineDecodeInput,
  DecodeOutput,
  GenerationRequest,
  SchedulerRun,
  VisionInput,
  VisionOutput,
} from "@pixellm/engine";
import { normalizeForClip, type RgbImage } from "@pixellm/image";
import {
  DynamicBatcher,
  type Logger,
  logProviderFallback,
  recordBatch,
  stageTelemetry,
} from "@pixellm/service-kit";
import type { GatewayConfig } from "../config";
import type {
  DecodeInput,
  DecodeOutcome,
  GenerationInput,
  GenerationOutcome,
  StageCallContext,
  StageClients,
  VisionResult,
} from "./stage-clients";

export async function loadInProcessStages(
  config: GatewayConfig,
  bundle: LoadedBundle,
  logger: Logger,
): Promise<StageClients> {
  const engine = await import("@pixellm/engine");
  const sessions = await engine.openSessions(bundle, ["vision", "embed", "llm", "decoder"], {
    provider: config.provider,
    onFallback: logProviderFallback(logger),
  });
  const { manifest } = bundle;
  const vision = new engine.VisionStage(sessions.vision, manifest);
  const decoder = new engine.DecoderStage(sessions.decoder, manifest);
  const traces = new WeakMap<GenerationRequest, Context>();
  const onRun = (run: SchedulerRun) =>
    recordBatch({
      stage: "llm",
      ...run,
      items: run.rows.map((row) => ({ enqueuedAt: row.enqueuedAt, trace: traces.get(row.request) })),
    });
  const scheduler = new engine.LlmScheduler(
    new engine.LlmRunner(sessions.embed, sessions.llm, engine.modelDims(manifest)),
    { eos: manifest.tokens.eos, seg: manifest.tokens.seg },
    engine.DEFAULT_SCHEDULER,
    onRun,
  );
  const batching = { maxBatchSize: 8, maxDelayMs: 5, maxQueue: 256 };
  const visionTelemetry = stageTelemetry("vision-encoder", () => visionBatcher.stats());
  const visionBatcher = new DynamicBatcher<VisionInput, VisionOutput>(
    batching,
    (items) => vision.encode(items),
    visionTelemetry.onBatch,
  );
  const decoderTelemetry = stageTelemetry("pixel-decoder", () => decoderBatcher.stats());
  const decoderBatcher = new DynamicBatcher<EngineDecodeInput, DecodeOutput>(
    batching,
    (items) => decoder.decode(items),
    decoderTelemetry.onBatch,
  );
  const size = manifest.preprocessing.imageSize;
  const clients: StageClients = {
    encode: (image: RgbImage, context: StageCallContext): Promise<VisionResult> =>
      visionBatcher.submit(
        { pixelValues: normalizeForClip(image, size), resized: [image.height, image.width] },
        { ...context, trace: activeContext.active() },
      ),
    generate: async (
      input: GenerationInput,
      context: StageCallContext,
      onTokens: (ids: readonly number[]) => void,
    ): Promise<GenerationOutcome> => {
      const request: GenerationRequest = {
        ...input,
        deadline: context.deadline,
        signal: context.signal,
        onToken: (token) => onTokens([token]),
      };
      traces.set(request, activeContext.active());
      const out = await scheduler.submit(request);
      return {
        outputIds: out.outputIds,
        finishReason: out.finishReason,
        codebookHidden: out.codebookHidden,
        codebookCount: out.codebookCount,
        firstTokenMs: out.timings.firstTokenMs,
      };
    },
    decode: async (input: DecodeInput, context: StageCallContext): Promise<DecodeOutcome> => {
      const out = await decoderBatcher.submit(input, { ...context, trace: activeContext.active() });
      return { dropped: out.dropped, targets: out.targets };
    },
    close: async () => {
      await Promise.all([visionBatcher.drain(), scheduler.drain(), decoderBatcher.drain()]);
      visionTelemetry.close();
      decoderTelemetry.close();
      await Promise.all(Object.values(sessions).map((s) => s.release()));
    },
  };
  if (config.warmUp) {
    const deadline = Date.now() + 600_000;
    const signal = new AbortController().signal;
    const warm = await clients.encode(
      { width: size, height: size, data: new Uint8Array(size * size * 3) },
      { requestId: "warm-up", deadline, signal },
    );
    await clients.generate(
      {
        promptIds: [manifest.tokens.bos, manifest.tokens.imageTokenIndex],
        imageEmbeds: warm.imageEmbeds,
        imageMask: warm.imageMask,
        maxNewTokens: 1,
      },
      { requestId: "warm-up", deadline, signal },
      () => undefined,
    );
  }
  return clients;
}

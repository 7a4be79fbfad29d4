/** Loads the bundle's decoder graph and warms it up (the service's only contact with onnxruntime). */
import { type LoadedBundle, loadBundle } from "@pixellm/bundle";
import { DecoderStage, type ExecutionProvider, openSessions } from "@pixellm/engine";
import { type Logger, logProviderFallback } from "@pixellm/service-kit";
import type { DecoderConfig } from "./config";

export interface DecoderModel {
  readonly bundle: LoadedBundle;
  readonly stage: DecoderStage;
  readonly provider: ExecutionProvider;
  /** Time the warm-up request took (0 without one). */
  readonly warmUpMs: number;
  close(): Promise<void>;
}

export async function loadDecoderModel(config: DecoderConfig, logger: Logger): Promise<DecoderModel> {
  const bundle = await loadBundle(config.bundle, config.verify);
  const { decoder } = await openSessions(bundle, ["decoder"], {
    provider: config.provider,
    intraOpThreads: config.intraOpThreads,
    onFallback: logProviderFallback(logger),
  });
  const stage = new DecoderStage(decoder, bundle.manifest);
  const warmUpStarted = performance.now();
  if (config.warmUp) {
    // One whole codebook group, so the graph runs (an item without targets skips it).
    const { config: model, geometry, preprocessing } = bundle.manifest;
    const size = preprocessing.imageSize;
    const [outcome] = await stage.decode([
      {
        codebookHidden: new Float32Array(geometry.codebookSize * model.hidden_size),
        codebookCount: geometry.codebookSize,
        decoderFeatures: new Float32Array(2 * model.out_dim * geometry.patchGrid ** 2),
        resized: [size, size],
        original: [size, size],
      },
    ]);
    if (outcome instanceof Error) throw outcome;
  }
  return {
    bundle,
    stage,
    provider: decoder.provider,
    warmUpMs: performance.now() - warmUpStarted,
    close: () => decoder.release(),
  };
}

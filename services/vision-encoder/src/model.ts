/** Loads the bundle's vision graph and warms it up (the service's only contact with onnxruntime). */
import { type LoadedBundle, loadBundle } from "@pixellm/bundle";
import { type ExecutionProvider, VisionStage, openSessions } from "@pixellm/engine";
import { type Logger, logProviderFallback } from "@pixellm/service-kit";
import type { VisionConfig } from "./config";

export interface VisionModel {
  readonly bundle: LoadedBundle;
  readonly stage: VisionStage;
  readonly provider: ExecutionProvider;
  /** Time the warm-up request took (0 without one). */
  readonly warmUpMs: number;
  close(): Promise<void>;
}

export async function loadVisionModel(config: VisionConfig, logger: Logger): Promise<VisionModel> {
  const bundle = await loadBundle(config.bundle, config.verify);
  const { vision } = await openSessions(bundle, ["vision"], {
    provider: config.provider,
    intraOpThreads: config.intraOpThreads,
    onFallback: logProviderFallback(logger),
  });
  const stage = new VisionStage(vision, bundle.manifest);
  const warmUpStarted = performance.now();
  if (config.warmUp) {
    const size = bundle.manifest.preprocessing.imageSize;
    const [outcome] = await stage.encode([
      { pixelValues: new Float32Array(3 * size * size), resized: [size, size] },
    ]);
    if (outcome instanceof Error) throw outcome;
  }
  return {
    bundle,
    stage,
    provider: vision.provider,
    warmUpMs: performance.now() - warmUpStarted,
    close: () => vision.release(),
  };
}

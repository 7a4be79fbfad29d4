/** Loads the bundle's vision graph and warms it up (the service's only contact with onnxruntime). */
import { type LoadedBundle, loadBundle } from "@pixellm/bundle";
import { type ExecutionProvider, VisionStage, openSessions } from "@pixellm/engine";
import type { Logger } from "@pixellm/service-kit";
import type { VisionConfig } from "./config";

export interface VisionModel {
  readonly bundle: LoadedBundle;
  readonly stage: VisionStage;
  readonly provider: ExecutionProvider;
  close(): Promise<void>;
}

export async function loadVisionModel(config: VisionConfig, logger: Logger): Promise<VisionModel> {
  const bundle = await loadBundle(config.bundle, config.verify);
  const { vision } = await openSessions(bundle, ["vision"], {
    provider: config.provider,
    intraOpThreads: config.intraOpThreads,
    onFallback: (e) =>
      logger.warn("execution provider unavailable; using cpu", {
        graph: e.graph,
        requested: e.requested,
        reason: e.reason,
      }),
  });
  const stage = new VisionStage(vision, bundle.manifest);
  if (config.warmUp) {
    const size = bundle.manifest.preprocessing.imageSize;
    await stage.encode([{ pixelValues: new Float32Array(3 * size * size), resized: [size, size] }]);
  }
  return { bundle, stage, provider: vision.provider, close: () => vision.release() };
}

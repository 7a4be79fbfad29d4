/**
 * The vision stage as the VisionEncoder service and the embedded mode both run it: the stage in
 * a worker thread (the only contact with onnxruntime), warmed up, behind a dynamic batcher with
 * its telemetry, batching as VISION_* configures it.
 */
import type { LoadedBundle } from "@pixellm/bundle";
import type { ExecutionProvider, VisionInput, VisionOutput, VisionWorker } from "@pixellm/engine";
import { BatchedRuntime } from "@pixellm/service-kit";
import { float32Tensor } from "@pixellm/tensor";
import type { VisionConfig } from "./config";
import { type VisionDims, visionDims } from "./protocol";

export interface VisionRuntime {
  readonly bundle: LoadedBundle;
  readonly provider: ExecutionProvider;
  readonly dims: VisionDims;
  readonly batches: BatchedRuntime<VisionInput, VisionOutput>;
}

/** Takes over `worker` (closing the runtime closes it); runs one blank image first when configured. */
export async function visionRuntime(
  config: VisionConfig,
  bundle: LoadedBundle,
  worker: VisionWorker,
): Promise<VisionRuntime> {
  const dims = visionDims(bundle.manifest);
  const size = dims.imageSize;
  const batches = await BatchedRuntime.start<VisionInput, VisionOutput>("vision-encoder", config, {
    execute: (items) => worker.encode(items),
    warmUpItem: () => ({ pixelValues: float32Tensor([3, size, size]), resized: [size, size] }),
    close: () => worker.close(),
  });
  return { bundle, provider: worker.provider, dims, batches };
}

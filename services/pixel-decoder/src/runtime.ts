/**
 * The decoder stage as the PixelDecoder service and the embedded mode both run it: the stage in
 * a worker thread (the only contact with onnxruntime; mask post-processing runs there too),
 * warmed up, behind a dynamic batcher with its telemetry, batching as DECODER_* configures it.
 */
import type { LoadedBundle } from "@pixellm/bundle";
import type { DecodeInput, DecodeOutput, DecoderWorker, ExecutionProvider } from "@pixellm/engine";
import { BatchedRuntime } from "@pixellm/service-kit";
import { float32Tensor } from "@pixellm/tensor";
import type { DecoderConfig } from "./config";

export interface DecoderRuntime {
  readonly bundle: LoadedBundle;
  readonly provider: ExecutionProvider;
  readonly batches: BatchedRuntime<DecodeInput, DecodeOutput>;
}

/** Takes over `worker` (closing the runtime closes it); decodes one codebook group first when configured. */
export async function decoderRuntime(
  config: DecoderConfig,
  bundle: LoadedBundle,
  worker: DecoderWorker,
): Promise<DecoderRuntime> {
  const { config: model, geometry, preprocessing } = bundle.manifest;
  const size = preprocessing.imageSize;
  const batches = await BatchedRuntime.start<DecodeInput, DecodeOutput>("pixel-decoder", config, {
    execute: (items) => worker.decode(items),
    // One whole codebook group, so the graph runs (an item without targets skips it).
    warmUpItem: () => ({
      codebookHidden: float32Tensor([geometry.codebookSize, model.hidden_size]),
      decoderFeatures: float32Tensor([2, model.out_dim, geometry.patchGrid, geometry.patchGrid]),
      resized: [size, size],
      original: [size, size],
    }),
    close: () => worker.close(),
  });
  return { bundle, provider: worker.provider, batches };
}

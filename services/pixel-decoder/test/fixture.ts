/**
 * PixelDecoder servers on loopback ports over a generated tiny bundle, with the in-process
 * engine on the same bundle as the reference, and requests built from its real stage tensors.
 */
import * as grpc from "@grpc/grpc-js";
import {
  type DecodeRequest,
  type DecodeResponse__Output,
  type PixelDecoderClient,
  type StageInfo__Output,
  services,
} from "@pixellm/api";
import type { BundleManifest } from "@pixellm/bundle";
import { type DecodeInput, PixelLMEngine } from "@pixellm/engine";
import { type StageProcess, type StartHooks, startStage, unaryCall } from "@pixellm/service-kit";
import { encodeDecodeRequest } from "@pixellm/pixel-decoder/protocol";
import { float32Tensor, numel } from "@pixellm/tensor";
import { shapesImage } from "../../../test/support/images";
import { makeTinyBundle } from "../../../test/support/tiny-bundle";
import { decoderConfig, decoderStage } from "../src/index";

export interface RunningDecoder {
  readonly target: string;
  readonly client: PixelDecoderClient;
  readonly info: () => Promise<StageInfo__Output>;
  readonly decode: (request: DecodeRequest, options?: grpc.CallOptions) => Promise<DecodeResponse__Output>;
  readonly stop: () => Promise<void>;
}

export function testStage(bundleDir: string, env: Record<string, string> = {}): StageProcess {
  return decoderStage(
    decoderConfig({
      PIXELLM_BUNDLE: bundleDir,
      DECODER_HOST: "127.0.0.1",
      DECODER_PORT: "0",
      PIXELLM_LOG_LEVEL: "warn",
      ...env,
    }),
  );
}

export async function start(stage: StageProcess, hooks: StartHooks = {}): Promise<RunningDecoder> {
  const running = await startStage(stage, hooks);
  const target = `127.0.0.1:${running.port}`;
  const client = new (services().PixelDecoder)(target, grpc.credentials.createInsecure());
  return {
    target,
    client,
    info: () => unaryCall<StageInfo__Output>((done) => client.Info({}, done)),
    decode: (request, options = {}) =>
      unaryCall<DecodeResponse__Output>((done) => client.Decode(request, options, done)),
    stop: async () => {
      await running.stop();
      client.close();
    },
  };
}

export interface Reference {
  readonly bundleDir: string;
  readonly engine: PixelLMEngine;
  /** Real stage tensors: a tiny-model answer with one codebook group on a shapes image. */
  readonly input: DecodeInput;
}

export async function makeReference(): Promise<Reference> {
  const { bundleDir } = await makeTinyBundle({ seed: 7 });
  const engine = await PixelLMEngine.load(bundleDir);
  const result = await engine.segment({ image: await shapesImage(640, 427), query: "Segment the red ball." });
  const t = result.tensors;
  const input: DecodeInput = {
    codebookHidden: t.codebookHidden,
    decoderFeatures: t.decoderFeatures,
    resized: t.resized,
    original: t.original,
  };
  return { bundleDir, engine, input };
}

/** The Decode request carrying `input`, as the gateway sends it. */
export function decodeRequest(input: DecodeInput, includeLowRes = false): DecodeRequest {
  return encodeDecodeRequest("test", input, includeLowRes);
}

/** A valid input without running the pipeline: one codebook group, smooth made-up values. */
export function syntheticInput(manifest: BundleManifest): DecodeInput {
  const { hidden_size: H, out_dim: D } = manifest.config;
  const { codebookSize, patchGrid } = manifest.geometry;
  const wave = (shape: number[], k: number) =>
    float32Tensor(
      shape,
      Float32Array.from({ length: numel(shape) }, (_, i) => Math.sin(i * k)),
    );
  return {
    codebookHidden: wave([codebookSize, H], 0.37),
    decoderFeatures: wave([2, D, patchGrid, patchGrid], 0.011),
    resized: [448, 299],
    original: [640, 427],
  };
}

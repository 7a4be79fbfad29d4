/**
 * LLMGenerator servers on loopback ports over a generated tiny bundle, with the in-process
 * engine on the same bundle as the reference and real inputs from its vision stage.
 */
import * as grpc from "@grpc/grpc-js";
import {
  type GenerateRequest,
  type GenerateResponse__Output,
  type GenerationDone__Output,
  type LLMGeneratorClient,
  type StageInfo__Output,
  encodeTensor,
  services,
} from "@pixellm/api";
import type { BundleManifest } from "@pixellm/bundle";
import { PixelLMEngine, isFailure, prepareImage } from "@pixellm/engine";
import { type StageProcess, type StartHooks, startStage, unaryCall } from "@pixellm/service-kit";
import type { HostTensor } from "@pixellm/tensor";
import { shapesImage } from "../../../test/support/images";
import { makeTinyBundle } from "../../../test/support/tiny-bundle";
import { llmConfig, llmStage } from "../src/index";

/** A prompt and the image tokens it refers to. */
export interface Prompt {
  readonly promptIds: readonly number[];
  /** float32[256,H] */
  readonly imageEmbeds: HostTensor<"float32">;
  /** uint8[256] */
  readonly imageMask: HostTensor<"uint8">;
}

/** What a Generate stream delivered: each `tokens` message's ids, then the `done` message. */
export interface Streamed {
  readonly deltas: number[][];
  readonly done: GenerationDone__Output;
}

export interface RunningLlm {
  readonly target: string;
  readonly client: LLMGeneratorClient;
  readonly info: () => Promise<StageInfo__Output>;
  readonly generate: (request: GenerateRequest, options?: grpc.CallOptions) => Promise<Streamed>;
  readonly stop: () => Promise<void>;
}

export function testStage(bundleDir: string, env: Record<string, string> = {}): StageProcess {
  return llmStage(
    llmConfig({
      PIXELLM_BUNDLE: bundleDir,
      LLM_HOST: "127.0.0.1",
      LLM_PORT: "0",
      PIXELLM_LOG_LEVEL: "warn",
      ...env,
    }),
  );
}

export async function start(stage: StageProcess, hooks: StartHooks = {}): Promise<RunningLlm> {
  const running = await startStage(stage, hooks);
  const target = `127.0.0.1:${running.port}`;
  const client = new (services().LLMGenerator)(target, grpc.credentials.createInsecure());
  return {
    target,
    client,
    info: () => unaryCall<StageInfo__Output>((done) => client.Info({}, done)),
    generate: (request, options = {}) => collect(client.Generate(request, options)),
    stop: async () => {
      await running.stop();
      client.close();
    },
  };
}

/** Reads a Generate stream to its end. */
export function collect(call: grpc.ClientReadableStream<GenerateResponse__Output>): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const deltas: number[][] = [];
    let done: GenerationDone__Output | undefined;
    call.on("data", (message: GenerateResponse__Output) => {
      if (message.tokens) deltas.push(message.tokens.ids);
      if (message.done) done = message.done;
    });
    call.on("error", reject);
    call.on("end", () =>
      done ? resolve({ deltas, done }) : reject(new Error("the stream ended without done")),
    );
  });
}

export interface Reference {
  readonly bundleDir: string;
  readonly engine: PixelLMEngine;
  readonly manifest: BundleManifest;
  /** Three questions on each of two images. */
  readonly prompts: readonly Prompt[];
}

export async function makeReference(): Promise<Reference> {
  const { bundleDir } = await makeTinyBundle({ seed: 3 });
  const engine = await PixelLMEngine.load(bundleDir);
  const prompts: Prompt[] = [];
  for (const [width, height] of [
    [640, 427],
    [300, 500],
  ] as const) {
    const [vision] = await engine.vision.encode([await prepareImage(await shapesImage(width, height))]);
    if (!vision || isFailure(vision)) throw new Error("the in-process vision stage failed");
    for (const query of ["Segment the red ball.", "Where is the blue box?", "What is in the image?"]) {
      prompts.push({
        promptIds: engine.promptIds(query),
        imageEmbeds: vision.imageEmbeds,
        imageMask: vision.imageMask,
      });
    }
  }
  return { bundleDir, engine, manifest: engine.bundle.manifest, prompts };
}

/** The Generate request for `prompt`, as the gateway would send it. */
export function generateRequest(
  prompt: Prompt,
  manifest: BundleManifest,
  extra: Partial<GenerateRequest> = {},
): GenerateRequest {
  return {
    requestId: "test",
    promptIds: [...prompt.promptIds],
    imageEmbeds: encodeTensor(prompt.imageEmbeds, { checksum: true }),
    imageMask: encodeTensor(prompt.imageMask),
    maxNewTokens: 64,
    ...extra,
  };
}

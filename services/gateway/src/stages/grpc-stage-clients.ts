/**
 * The stages as remote gRPC services, one replica pool each. Each call attempt runs in a client
 * span whose context travels to the stage in the call's metadata (W3C traceparent).
 */
import * as grpc from "@grpc/grpc-js";
import {
  type DecodeResponse__Output,
  type EncodeResponse__Output,
  type GenerateResponse__Output,
  type GenerationDone__Output,
  type LLMGeneratorClient,
  type PixelDecoderClient,
  type VisionEncoderClient,
  decodeTensor,
  encodeTensor,
  services,
} from "@pixellm/api";
import type { BundleManifest } from "@pixellm/bundle";
import type { FinishReason } from "@pixellm/engine";
import type { RgbImage } from "@pixellm/image";
import { type Logger, tracedCall } from "@pixellm/service-kit";
import { makeTensor } from "@pixellm/tensor";
import type { GatewayConfig } from "../config";
import { ReplicaPool } from "./replica-pool";
import type {
  DecodeInput,
  DecodeOutcome,
  GenerationInput,
  GenerationOutcome,
  StageCallContext,
  StageClients,
  VisionResult,
} from "./stage-clients";

const FINISH_REASONS: Readonly<Record<string, FinishReason>> = {
  FINISH_REASON_EOS: "eos",
  FINISH_REASON_LENGTH: "length",
  FINISH_REASON_MAX_CONTEXT: "max_context",
  FINISH_REASON_TEACHER_FORCED: "teacher_forced",
};

const ENCODE = "/pixellm.v1.VisionEncoder/Encode";
const GENERATE = "/pixellm.v1.LLMGenerator/Generate";
const DECODE = "/pixellm.v1.PixelDecoder/Decode";

export class GrpcStageClients implements StageClients {
  private constructor(
    private readonly manifest: BundleManifest,
    private readonly vision: ReplicaPool<VisionEncoderClient>,
    private readonly llm: ReplicaPool<LLMGeneratorClient>,
    private readonly decoder: ReplicaPool<PixelDecoderClient>,
  ) {}

  static async connect(
    config: GatewayConfig,
    manifest: BundleManifest,
    logger: Logger,
  ): Promise<GrpcStageClients> {
    const api = services();
    const channelOptions: grpc.ChannelOptions = {
      "grpc.max_receive_message_length": config.maxMessageBytes,
      "grpc.max_send_message_length": config.maxMessageBytes,
    };
    const pool = <C extends grpc.Client>(
      stage: string,
      serviceName: string,
      specs: readonly string[],
      Client: new (...args: ConstructorParameters<typeof grpc.Client>) => C,
    ) =>
      new ReplicaPool<C>(
        specs,
        (address, options) => new Client(address, grpc.credentials.createInsecure(), options),
        {
          stage,
          serviceName,
          healthIntervalMs: config.healthIntervalMs,
          attempts: config.stageAttempts,
          channelOptions,
          logger,
        },
      );
    const clients = new GrpcStageClients(
      manifest,
      pool("vision", "pixellm.v1.VisionEncoder", config.visionAddresses, api.VisionEncoder),
      pool("llm", "pixellm.v1.LLMGenerator", config.llmAddresses, api.LLMGenerator),
      pool("decoder", "pixellm.v1.PixelDecoder", config.decoderAddresses, api.PixelDecoder),
    );
    await Promise.all([clients.vision.start(), clients.llm.start(), clients.decoder.start()]);
    return clients;
  }

  /** Replica routing state per stage service (metrics, introspection). */
  replicas() {
    return {
      "vision-encoder": this.vision.snapshot(),
      llm: this.llm.snapshot(),
      "pixel-decoder": this.decoder.snapshot(),
    };
  }

  encode(image: RgbImage, context: StageCallContext): Promise<VisionResult> {
    const { hidden_size: H, out_dim: D } = this.manifest.config;
    const tokens = this.manifest.geometry.llmImageTokens;
    const grid = this.manifest.geometry.patchGrid;
    const request = {
      requestId: context.requestId,
      resizedRgb: encodeTensor(makeTensor("uint8", [image.height, image.width, 3], image.data)),
      resized: { height: image.height, width: image.width },
    };
    return stageCall(this.vision, ENCODE, context, (client, metadata, options) =>
      unary<EncodeResponse__Output>(
        (done) => client.Encode(request, metadata, options, done),
        context.signal,
      ),
    ).then((r) => ({
      imageEmbeds: decodeTensor("image_embeds", r.imageEmbeds, { dtype: "float32", shape: [tokens, H] }).data,
      imageMask: decodeTensor("image_mask", r.imageMask, { dtype: "uint8", shape: [tokens] }).data,
      decoderFeatures: decodeTensor("decoder_features", r.decoderFeatures, {
        dtype: "float32",
        shape: [2, D, grid, grid],
      }).data,
    }));
  }

  generate(
    input: GenerationInput,
    context: StageCallContext,
    onTokens: (ids: readonly number[]) => void,
  ): Promise<GenerationOutcome> {
    const H = this.manifest.config.hidden_size;
    const tokens = this.manifest.geometry.llmImageTokens;
    const request = {
      requestId: context.requestId,
      promptIds: [...input.promptIds],
      imageEmbeds: encodeTensor(makeTensor("float32", [tokens, H], input.imageEmbeds)),
      imageMask: encodeTensor(makeTensor("uint8", [tokens], input.imageMask)),
      maxNewTokens: input.maxNewTokens,
      answerIds: [...(input.answerIds ?? [])],
      ...(input.sampling ? { sampling: input.sampling } : {}),
    };
    // Shared by the attempts: a retry on another replica regenerates from the start.
    const delivered = { count: 0 };
    return stageCall(this.llm, GENERATE, context, (client, metadata, options) =>
      this.streamGeneration(client.Generate(request, metadata, options), context, delivered, onTokens),
    );
  }

  /**
   * Passes a Generate stream's token deltas on and resolves with its final message; deltas an
   * earlier attempt already passed on (`delivered`) are skipped.
   */
  private streamGeneration(
    call: grpc.ClientReadableStream<GenerateResponse__Output>,
    context: StageCallContext,
    delivered: { count: number },
    onTokens: (ids: readonly number[]) => void,
  ): Promise<GenerationOutcome> {
    const H = this.manifest.config.hidden_size;
    return new Promise<GenerationOutcome>((resolve, reject) => {
      const abort = () => call.cancel();
      context.signal.addEventListener("abort", abort, { once: true });
      let seen = 0;
      let done: GenerationDone__Output | null = null;
      call.on("data", (message: GenerateResponse__Output) => {
        if (message.tokens) {
          const fresh = message.tokens.ids.slice(Math.max(0, delivered.count - seen));
          seen += message.tokens.ids.length;
          if (fresh.length > 0) {
            delivered.count += fresh.length;
            onTokens(fresh);
          }
        }
        if (message.done) done = message.done;
      });
      call.on("error", (error) => {
        context.signal.removeEventListener("abort", abort);
        reject(error);
      });
      call.on("end", () => {
        context.signal.removeEventListener("abort", abort);
        if (!done) return reject(new Error("the llm stream ended without a result"));
        const count = Number(done.codebookHidden?.shape[0] ?? 0);
        resolve({
          outputIds: done.outputIds.map(Number),
          finishReason: FINISH_REASONS[done.finishReason] ?? "eos",
          codebookHidden: decodeTensor("codebook_hidden", done.codebookHidden, {
            dtype: "float32",
            shape: [count, H],
          }).data,
          codebookCount: count,
          firstTokenMs: done.firstTokenMs,
        });
      });
    });
  }

  decode(input: DecodeInput, context: StageCallContext): Promise<DecodeOutcome> {
    const { hidden_size: H, out_dim: D } = this.manifest.config;
    const grid = this.manifest.geometry.patchGrid;
    const request = {
      requestId: context.requestId,
      codebookHidden: encodeTensor(makeTensor("float32", [input.codebookCount, H], input.codebookHidden), {
        checksum: true,
      }),
      decoderFeatures: encodeTensor(makeTensor("float32", [2, D, grid, grid], input.decoderFeatures), {
        checksum: true,
      }),
      resized: { height: input.resized[0], width: input.resized[1] },
      original: { height: input.original[0], width: input.original[1] },
    };
    return stageCall(this.decoder, DECODE, context, (client, metadata, options) =>
      unary<DecodeResponse__Output>(
        (done) => client.Decode(request, metadata, options, done),
        context.signal,
      ),
    ).then((r) => ({
      dropped: r.dropped,
      targets: r.masks.map((m) => ({
        mask: { size: [m.rle?.size[0] ?? 0, m.rle?.size[1] ?? 0] as const, counts: m.rle?.counts ?? "" },
        bbox: m.bbox,
        area: Number(m.area),
        score: m.score,
      })),
    }));
  }

  close(): Promise<void> {
    this.vision.close();
    this.llm.close();
    this.decoder.close();
    return Promise.resolve();
  }
}

/**
 * A call to one stage: an attempt per replica (see ReplicaPool.call), each in a client span
 * whose context travels in `metadata`, with the job's deadline in `options`.
 */
function stageCall<C extends grpc.Client, T>(
  pool: ReplicaPool<C>,
  path: string,
  context: StageCallContext,
  run: (client: C, metadata: grpc.Metadata, options: grpc.CallOptions) => Promise<T>,
): Promise<T> {
  return pool.call(
    (client, address) =>
      tracedCall(path, { "pixellm.request_id": context.requestId, "server.address": address }, (metadata) =>
        run(client, metadata, { deadline: context.deadline }),
      ),
    context,
  );
}

/** A unary call as a promise, cancelled when `signal` aborts. */
function unary<R>(
  start: (done: (error: grpc.ServiceError | null, response?: R) => void) => grpc.ClientUnaryCall,
  signal: AbortSignal,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const call = start((error, response) => {
      signal.removeEventListener("abort", abort);
      if (error) reject(error);
      else resolve(response as R);
    });
    const abort = () => call.cancel();
    signal.addEventListener("abort", abort, { once: true });
  });
}

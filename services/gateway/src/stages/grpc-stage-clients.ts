/**
 * The stages as remote gRPC services, one replica pool each. Each call attempt runs in a client
 * span whose context travels to the stage in the call's metadata (W3C traceparent).
 */
import type * as grpc from "@grpc/grpc-js";
import {
  type DecodeResponse__Output,
  type EncodeResponse__Output,
  type GenerateResponse__Output,
  type GenerationDone__Output,
  type LLMGeneratorClient,
  type PixelDecoderClient,
  type VisionEncoderClient,
  services,
} from "@pixellm/api";
import type { BundleManifest } from "@pixellm/bundle";
import type { DecodeInput, GenerationResult, VisionOutput } from "@pixellm/engine";
import type { RgbImage } from "@pixellm/image";
import { type GenerationInput, decodeGenerationDone, encodeGenerateRequest } from "@pixellm/llm/protocol";
import {
  type DecodeOutcome,
  decodeDecodeResponse,
  encodeDecodeRequest,
} from "@pixellm/pixel-decoder/protocol";
import { type ClientTls, type Logger, channelSecurity, tracedCall } from "@pixellm/service-kit";
import {
  type VisionDims,
  decodeEncodeResponse,
  encodeEncodeRequest,
  visionDims,
} from "@pixellm/vision-encoder/protocol";
import type { GatewayConfig } from "../config";
import { LlmKvBudgets } from "./llm-kv-budgets";
import { ReplicaPool } from "./replica-pool";
import type { StageCallContext, StageClients } from "./stage-clients";

const ENCODE = "/pixellm.v1.VisionEncoder/Encode";
const GENERATE = "/pixellm.v1.LLMGenerator/Generate";
const DECODE = "/pixellm.v1.PixelDecoder/Decode";

export class GrpcStageClients implements StageClients {
  private readonly dims: VisionDims;

  private constructor(
    manifest: BundleManifest,
    private readonly vision: ReplicaPool<VisionEncoderClient>,
    private readonly llm: ReplicaPool<LLMGeneratorClient>,
    private readonly decoder: ReplicaPool<PixelDecoderClient>,
    private readonly llmBudgets: LlmKvBudgets,
  ) {
    this.dims = visionDims(manifest);
  }

  static async connect(
    config: GatewayConfig,
    manifest: BundleManifest,
    logger: Logger,
    /** TLS towards the stages (see stageClientTlsOf); plaintext when absent. */
    tls?: ClientTls,
  ): Promise<GrpcStageClients> {
    const api = services();
    // One set of credentials for every replica's calls and health checks (mutual TLS when configured).
    const security = channelSecurity(tls);
    const channelOptions: grpc.ChannelOptions = {
      "grpc.max_receive_message_length": config.maxMessageBytes,
      "grpc.max_send_message_length": config.maxMessageBytes,
      ...security.options,
    };
    const pool = <C extends grpc.Client>(
      stage: string,
      serviceName: string,
      specs: readonly string[],
      Client: new (...args: ConstructorParameters<typeof grpc.Client>) => C,
    ) =>
      new ReplicaPool<C>(specs, (address, options) => new Client(address, security.credentials, options), {
        stage,
        serviceName,
        credentials: security.credentials,
        healthIntervalMs: config.healthIntervalMs,
        attempts: config.stageAttempts,
        channelOptions,
        logger,
      });
    const llm = pool("llm", "pixellm.v1.LLMGenerator", config.llmAddresses, api.LLMGenerator);
    const clients = new GrpcStageClients(
      manifest,
      pool("vision", "pixellm.v1.VisionEncoder", config.visionAddresses, api.VisionEncoder),
      llm,
      pool("decoder", "pixellm.v1.PixelDecoder", config.decoderAddresses, api.PixelDecoder),
      new LlmKvBudgets(llm, config.healthIntervalMs, logger),
    );
    await Promise.all([clients.vision.start(), clients.llm.start(), clients.decoder.start()]);
    await clients.llmBudgets.start(); // after the first health checks: it asks the healthy replicas
    return clients;
  }

  kvBudgetTokens(): number | undefined {
    return this.llmBudgets.current();
  }

  /** Replica routing state per stage service (metrics, introspection). */
  replicas() {
    return {
      "vision-encoder": this.vision.snapshot(),
      llm: this.llm.snapshot(),
      "pixel-decoder": this.decoder.snapshot(),
    };
  }

  encode(image: RgbImage, context: StageCallContext): Promise<VisionOutput> {
    const request = encodeEncodeRequest(context.requestId, image);
    return stageCall(this.vision, ENCODE, context, (client, metadata, options) =>
      unary<EncodeResponse__Output>(
        (done) => client.Encode(request, metadata, options, done),
        context.signal,
      ),
    ).then((response) => decodeEncodeResponse(response, this.dims));
  }

  generate(
    input: GenerationInput,
    context: StageCallContext,
    onTokens: (ids: readonly number[]) => void,
  ): Promise<GenerationResult> {
    const request = encodeGenerateRequest(context.requestId, input);
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
  ): Promise<GenerationResult> {
    return new Promise<GenerationResult>((resolve, reject) => {
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
        try {
          resolve(decodeGenerationDone(done, { hidden: this.dims.hidden }));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }

  decode(input: DecodeInput, context: StageCallContext): Promise<DecodeOutcome> {
    const request = encodeDecodeRequest(context.requestId, input);
    return stageCall(this.decoder, DECODE, context, (client, metadata, options) =>
      unary<DecodeResponse__Output>(
        (done) => client.Decode(request, metadata, options, done),
        context.signal,
      ),
    ).then(decodeDecodeResponse);
  }

  close(): Promise<void> {
    this.llmBudgets.close();
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

/**
 * A typed client of `pixellm.v1.PixelLM`. Failures reject with the call's ServiceError, whose
 * `code` is the gRPC status (see protos/pixellm/v1/pixellm.proto for what each means). Each call
 * carries the caller's active OpenTelemetry trace context (W3C traceparent) when the caller has
 * @opentelemetry/api and registered a propagator, so the gateway's spans join the caller's trace.
 */
import * as grpc from "@grpc/grpc-js";
import {
  type Job__Output,
  type PixelLMClient as GeneratedClient,
  type SegmentEvent__Output,
  type SegmentRequest,
  type SegmentResponse__Output,
  services,
} from "@pixellm/protos";
import { injectTraceContext } from "./trace-context";

export interface ClientOptions {
  /** Sent as `authorization: Bearer <key>`. */
  readonly apiKey?: string;
  readonly maxMessageBytes?: number;
  /** TLS towards the gateway; plaintext when absent. */
  readonly tls?: TlsOptions;
}

/** PEM contents (e.g. `readFileSync("ca.crt")`), not paths: the client reads no files itself. */
export interface TlsOptions {
  /** CA bundle the gateway's certificate must chain to; absent: the system's trusted roots. */
  readonly ca?: Uint8Array;
  /** A client certificate and its key, for a gateway that requires one. */
  readonly cert?: Uint8Array;
  readonly key?: Uint8Array;
  /** The name the gateway's certificate must carry when the address differs (an IP, a tunnel). */
  readonly serverName?: string;
}

export interface CallOptions {
  /** Relative timeout; becomes the request's deadline in every stage. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export type SegmentInput = Omit<SegmentRequest, "image"> & { readonly image: Uint8Array };

export class PixelLMClient {
  private readonly client: GeneratedClient;
  private readonly metadata = new grpc.Metadata();

  constructor(address: string, options: ClientOptions = {}) {
    const max = options.maxMessageBytes ?? 64 * 2 ** 20;
    this.client = new (services().PixelLM)(address, channelCredentials(options.tls), {
      "grpc.max_receive_message_length": max,
      "grpc.max_send_message_length": max,
      ...(options.tls?.serverName ? { "grpc.ssl_target_name_override": options.tls.serverName } : {}),
    });
    if (options.apiKey) this.metadata.set("authorization", `Bearer ${options.apiKey}`);
  }

  segment(request: SegmentInput, options: CallOptions = {}): Promise<SegmentResponse__Output> {
    return this.unary((cb, call) => this.client.Segment(request, this.callMetadata(), call, cb), options);
  }

  /** Text deltas, then each target's mask, then the whole response. */
  segmentStream(request: SegmentInput, options: CallOptions = {}): AsyncIterable<SegmentEvent__Output> {
    return this.stream(
      this.client.SegmentStream(request, this.callMetadata(), this.callOptions(options)),
      options.signal,
    );
  }

  submitJob(
    request: SegmentInput,
    options: { readonly idempotencyKey?: string; readonly deadlineUnixMs?: number } & CallOptions = {},
  ): Promise<Job__Output> {
    const message = {
      request,
      idempotencyKey: options.idempotencyKey ?? "",
      deadlineUnixMs: options.deadlineUnixMs ?? 0,
    };
    return this.unary((cb, call) => this.client.SubmitJob(message, this.callMetadata(), call, cb), options);
  }

  getJob(jobId: string, options: CallOptions = {}): Promise<Job__Output> {
    return this.unary((cb, call) => this.client.GetJob({ jobId }, this.callMetadata(), call, cb), options);
  }

  cancelJob(jobId: string, options: CallOptions = {}): Promise<Job__Output> {
    return this.unary((cb, call) => this.client.CancelJob({ jobId }, this.callMetadata(), call, cb), options);
  }

  /** Each state change of a job until it ends. */
  watchJob(jobId: string, options: CallOptions = {}): AsyncIterable<Job__Output> {
    return this.stream(
      this.client.WatchJob({ jobId }, this.callMetadata(), this.callOptions(options)),
      options.signal,
    );
  }

  close(): void {
    this.client.close();
  }

  /** The client's metadata plus the active trace context (a no-op without a registered propagator). */
  private callMetadata(): grpc.Metadata {
    const metadata = this.metadata.clone();
    injectTraceContext(metadata);
    return metadata;
  }

  private callOptions(options: CallOptions): grpc.CallOptions {
    return options.timeoutMs !== undefined ? { deadline: Date.now() + options.timeoutMs } : {};
  }

  private unary<R>(
    start: (
      callback: (error: grpc.ServiceError | null, response?: R) => void,
      options: grpc.CallOptions,
    ) => grpc.ClientUnaryCall,
    options: CallOptions,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const call = start(
        (error, response) => (error ? reject(error) : resolve(response as R)),
        this.callOptions(options),
      );
      options.signal?.addEventListener("abort", () => call.cancel(), { once: true });
    });
  }

  private async *stream<T>(call: grpc.ClientReadableStream<T>, signal?: AbortSignal): AsyncGenerator<T> {
    signal?.addEventListener("abort", () => call.cancel(), { once: true });
    for await (const message of call as AsyncIterable<T>) yield message;
  }
}

function channelCredentials(tls: TlsOptions | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  if (!tls.cert !== !tls.key) throw new Error("TLS: a client certificate and its key are given together");
  const pem = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes) : null);
  return grpc.credentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert));
}

/**
 * Calls as a hostile client makes them: any message (or raw bytes) to any method, with any
 * metadata and deadline, answered with the status code the server sent. No retries, no client
 * validation — what a careful client (packages/client) would refuse to send is the point here.
 */
import * as grpc from "@grpc/grpc-js";
import { services } from "@pixellm/api";

export type ServiceName = "PixelLM" | "VisionEncoder" | "LLMGenerator" | "PixelDecoder";

export interface CallOptions {
  readonly metadata?: grpc.Metadata;
  readonly deadline: Date;
}

type UnaryMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: unknown) => void,
) => grpc.ClientUnaryCall;
type StreamMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
) => grpc.ClientReadableStream<unknown>;

/** A connection to one server, with typed-enough unary, streaming and raw-bytes calls. */
export class HostileChannel {
  private readonly clients = new Map<ServiceName, grpc.Client>();
  private raw: grpc.Client | undefined;

  constructor(
    private readonly address: string,
    private readonly credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  ) {}

  private client(service: ServiceName): Record<string, unknown> & grpc.Client {
    let client = this.clients.get(service);
    if (!client) {
      const Client = services()[service];
      client = new Client(this.address, this.credentials);
      this.clients.set(service, client);
    }
    return client as Record<string, unknown> & grpc.Client;
  }

  unary<Res>(service: ServiceName, method: string, request: object, options: CallOptions): Promise<Res> {
    const client = this.client(service);
    const call = client[method] as UnaryMethod;
    return new Promise((resolve, reject) => {
      call.call(
        client,
        request,
        options.metadata ?? new grpc.Metadata(),
        { deadline: options.deadline },
        (error, response) => (error ? reject(error) : resolve(response as Res)),
      );
    });
  }

  /** Every message of a server stream, or the status it ended with. */
  stream<Res>(service: ServiceName, method: string, request: object, options: CallOptions): Promise<Res[]> {
    const client = this.client(service);
    const call = (client[method] as StreamMethod).call(
      client,
      request,
      options.metadata ?? new grpc.Metadata(),
      {
        deadline: options.deadline,
      },
    );
    const messages: Res[] = [];
    return new Promise((resolve, reject) => {
      call.on("data", (message: Res) => messages.push(message));
      call.on("error", reject);
      call.on("end", () => resolve(messages));
    });
  }

  /** Bytes as they are, to `/pixellm.v1.<service>/<method>` (or any path): for malformed protobuf. */
  rawUnary(path: string, bytes: Buffer, options: CallOptions): Promise<Buffer> {
    this.raw ??= new grpc.Client(this.address, this.credentials);
    const identity = (b: Buffer) => b;
    return new Promise((resolve, reject) => {
      this.raw!.makeUnaryRequest(
        path,
        identity,
        identity,
        bytes,
        options.metadata ?? new grpc.Metadata(),
        { deadline: options.deadline },
        (error, response) => (error ? reject(error) : resolve(response!)),
      );
    });
  }

  /** Bytes as they are to a server-streaming method: every message's bytes, or the status it ended with. */
  rawStream(path: string, bytes: Buffer, options: CallOptions): Promise<Buffer[]> {
    this.raw ??= new grpc.Client(this.address, this.credentials);
    const identity = (b: Buffer) => b;
    const call = this.raw.makeServerStreamRequest(
      path,
      identity,
      identity,
      bytes,
      options.metadata ?? new grpc.Metadata(),
      { deadline: options.deadline },
    );
    const messages: Buffer[] = [];
    return new Promise((resolve, reject) => {
      call.on("data", (message: Buffer) => messages.push(message));
      call.on("error", reject);
      call.on("end", () => resolve(messages));
    });
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.raw?.close();
  }
}

/** The request serializer the servers' own definitions use (for raw-bytes cases built from valid messages). */
export function serializeRequest(service: ServiceName, method: string, request: object): Buffer {
  const definition = services()[service].service as unknown as Record<
    string,
    { requestSerialize(v: object): Buffer }
  >;
  return definition[method]!.requestSerialize(request);
}

/** One length-delimited protobuf field (`bytes`, a message, or a packed repeated field) as wire bytes. */
export function lengthDelimitedField(field: number, payload: Buffer): Buffer {
  return Buffer.concat([varint(field * 8 + 2), varint(payload.byteLength), payload]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  for (let v = value; ; v = Math.floor(v / 0x80)) {
    if (v < 0x80) {
      bytes.push(v);
      return Buffer.from(bytes);
    }
    bytes.push((v % 0x80) | 0x80);
  }
}

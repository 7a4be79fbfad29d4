/**
 * What callers of a stage need besides its own RPCs: a unary call as a promise, the standard
 * health check (readiness for routing and probes) and the reflection service list (tools).
 * The two standard messages are tiny, so they are encoded here rather than loaded from protos.
 */
import * as grpc from "@grpc/grpc-js";
import { encodeVarint, fieldBytes, fieldNumber, fieldString, readFields } from "@pixellm/protobuf";
import { type ChannelSecurity, channelSecurity } from "./transport-security";

/** Starts a unary call with the given callback and settles with its reply or status error. */
export function unaryCall<T>(start: (callback: grpc.requestCallback<T>) => unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, response) => {
      if (error) reject(error);
      else if (response === undefined) reject(new Error("the call ended without a reply"));
      else resolve(response);
    });
  });
}

/** grpc.health.v1 serving status (SERVICE_UNKNOWN: the server has no entry for that name). */
export type HealthStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";
const HEALTH_STATUSES: readonly HealthStatus[] = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

export interface ProbeOptions {
  /** Milliseconds the probe may take. */
  readonly timeoutMs?: number;
  /** How to reach a TLS server; plaintext when absent. */
  readonly security?: ChannelSecurity;
}

/**
 * grpc.health.v1.Health/Check of `service` ("" for the whole server), on a channel of its own,
 * or on `target` when it is a client (a prober timing many checks keeps its connection).
 */
export async function checkHealth(
  target: string | grpc.Client,
  service: string,
  options: ProbeOptions = {},
): Promise<HealthStatus> {
  const client = typeof target === "string" ? probeClient(target, options) : target;
  try {
    // HealthCheckRequest { string service = 1 } → HealthCheckResponse { ServingStatus status = 1 }
    const reply = await unaryCall<Buffer>((callback) =>
      client.makeUnaryRequest(
        "/grpc.health.v1.Health/Check",
        (name: string) => stringField(1, name),
        (bytes: Buffer) => bytes,
        service,
        { deadline: deadlineOf(options) },
        callback,
      ),
    );
    let code = 0;
    for (const field of readFields(reply)) if (field.field === 1) code = fieldNumber(field);
    return HEALTH_STATUSES[code] ?? "UNKNOWN";
  } finally {
    if (client !== target) client.close();
  }
}

/** The services a server lists through grpc.reflection.v1 (what grpcurl `list` shows). */
export async function listServices(target: string, options: ProbeOptions = {}): Promise<string[]> {
  const client = probeClient(target, options);
  try {
    const call = client.makeBidiStreamRequest(
      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      (value: string) => stringField(7, value), // ServerReflectionRequest.list_services
      (bytes: Buffer) => bytes,
      new grpc.Metadata(),
      { deadline: deadlineOf(options) },
    );
    const reply = await new Promise<Buffer>((resolve, reject) => {
      call.once("data", resolve);
      call.once("error", reject);
      call.write("*");
    });
    call.end();
    return serviceNames(reply);
  } finally {
    client.close();
  }
}

/** ServerReflectionResponse.list_services_response (6) → ServiceResponse (1) → name (1). */
function serviceNames(reply: Uint8Array): string[] {
  const names: string[] = [];
  for (const field of readFields(reply)) {
    if (field.field === 7) throw new Error("the reflection service answered with an error");
    if (field.field !== 6) continue;
    for (const entry of readFields(fieldBytes(field))) {
      if (entry.field !== 1) continue;
      for (const part of readFields(fieldBytes(entry))) if (part.field === 1) names.push(fieldString(part));
    }
  }
  return names;
}

function stringField(field: number, value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  return Buffer.concat([encodeVarint((field << 3) | 2), encodeVarint(bytes.length), bytes]);
}

function probeClient(target: string, options: ProbeOptions): grpc.Client {
  const security = options.security ?? channelSecurity(undefined);
  return new grpc.Client(target, security.credentials, security.options);
}

function deadlineOf(options: ProbeOptions): number {
  return Date.now() + (options.timeoutMs ?? 5_000);
}

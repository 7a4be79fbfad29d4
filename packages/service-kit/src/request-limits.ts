/**
 * Per-method request limits, enforced before protobuf decoding: each method's deserializer is
 * wrapped so that a request over its method's byte limit or field caps (wire-caps.ts) is never
 * decoded. grpc-js turns a throwing deserializer into INTERNAL "Error deserializing request",
 * so the wrapper returns a RefusedRequest instead, and `refuseRequestsInterceptor` sends its
 * status in place of passing it to the handler. The server-wide receive limit (the largest
 * method limit) still refuses anything larger from its length prefix, before it is buffered.
 */
import * as grpc from "@grpc/grpc-js";
import { countHandledCall } from "./telemetry/rpc-telemetry";
import { ProtoDecodeError } from "@pixellm/protobuf";
import { FieldCapError, type FieldCaps, checkFieldCaps } from "./wire-caps";

export interface MethodLimits {
  /** Largest encoded request, in bytes. */
  readonly maxBytes: number;
  /** Where the byte limit comes from and how to raise it, for the refusal's message. */
  readonly basis: string;
  /** Caps on the request's fields (repeated counts, value sizes), checked on the wire. */
  readonly fields?: FieldCaps;
}

/** By method name as in the .proto ("SubmitJob"); methods left out get no more than the server's limit. */
export type RequestLimits = Readonly<Record<string, MethodLimits>>;

/** The outcome of a request that must not reach its handler. */
export class RefusedRequest {
  constructor(readonly status: { readonly code: grpc.status; readonly details: string }) {}
}

/**
 * `definition` with each method's request checked against `limits()` before decoding (read
 * per call: a stage's limits come from its bundle, known only once it has loaded), and
 * undecodable requests refused with INVALID_ARGUMENT rather than INTERNAL.
 */
export function limitRequests(
  definition: grpc.ServiceDefinition,
  limits: () => RequestLimits | undefined,
): grpc.ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([method, spec]) => [
      method,
      {
        ...spec,
        requestDeserialize: (bytes: Buffer) =>
          refusal(method, bytes, limits()?.[method]) ?? decode(method, bytes, spec.requestDeserialize),
      },
    ]),
  );
}

function refusal(method: string, bytes: Buffer, limit: MethodLimits | undefined): RefusedRequest | undefined {
  if (!limit) return undefined;
  if (bytes.byteLength > limit.maxBytes)
    return new RefusedRequest({
      code: grpc.status.RESOURCE_EXHAUSTED,
      details: `${method} request is ${bytes.byteLength} bytes, over its ${limit.maxBytes}-byte limit (${limit.basis})`,
    });
  if (!limit.fields) return undefined;
  try {
    checkFieldCaps(bytes, limit.fields);
    return undefined;
  } catch (error) {
    if (error instanceof FieldCapError)
      return new RefusedRequest({
        code: grpc.status.INVALID_ARGUMENT,
        details: `${method} request: ${error.message}`,
      });
    if (error instanceof ProtoDecodeError) return malformed(method, error);
    throw error;
  }
}

function decode(method: string, bytes: Buffer, deserialize: (bytes: Buffer) => unknown): unknown {
  try {
    return deserialize(bytes);
  } catch (error) {
    return malformed(method, error);
  }
}

function malformed(method: string, error: unknown): RefusedRequest {
  const reason = error instanceof Error ? error.message : String(error);
  return new RefusedRequest({
    code: grpc.status.INVALID_ARGUMENT,
    details: `${method} request is not a valid protobuf message (${reason})`,
  });
}

/** Sends a RefusedRequest's status instead of handing it to the method's handler. */
export const refuseRequestsInterceptor: grpc.ServerInterceptor = (method, call) =>
  new grpc.ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message: unknown, pass) => {
          if (message instanceof RefusedRequest) {
            countHandledCall(method.path, message.status.code);
            call.sendStatus({ ...message.status, metadata: new grpc.Metadata() });
          } else pass(message);
        },
      }),
  });

/** The largest byte limit of any method, or undefined when none is limited. */
export function largestLimit(limits: readonly (RequestLimits | undefined)[]): number | undefined {
  const sizes = limits.flatMap((l) => Object.values(l ?? {}).map((m) => m.maxBytes));
  return sizes.length > 0 ? Math.max(...sizes) : undefined;
}

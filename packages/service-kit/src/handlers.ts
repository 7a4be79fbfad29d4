/**
 * gRPC handler plumbing every service shares: a handler is an async function, and its error
 * becomes the call's status through the one mapping (`toServiceError`), never ad hoc. Each call
 * runs in its own server span (the child of the caller's trace context) with the RPC metrics,
 * and every line logged inside it carries the trace, and the request id when the message has one.
 */
import type * as grpc from "@grpc/grpc-js";
import { context } from "@opentelemetry/api";
import { toServiceError } from "@pixellm/api";
import { type LogFields, withLogContext } from "./logger";
import { startServerCall } from "./telemetry/rpc-telemetry";

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/** A unary handler: the function's result is the reply, its error the status. */
export function unaryHandler<Req, Res>(
  work: (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    traced(call, () => work(call)).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error)),
    );
  };
}

/**
 * A server-streaming handler: the function writes its messages; the call ends OK when it
 * resolves, or with its error's status. grpc-js takes the status from an "error" event
 * (`destroy()` would drop it).
 */
export function serverStreamHandler<Req, Res>(
  work: (call: grpc.ServerWritableStream<Req, Res>) => Promise<void>,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    traced(call, () => work(call)).then(
      () => call.end(),
      (error: unknown) => call.emit("error", toServiceError(error)),
    );
  };
}

/** Runs `work` inside the call's span and log context; the span ends with the call's status. */
async function traced<T>(call: AnyCall, work: () => Promise<T>): Promise<T> {
  const requestId = requestIdOf(call.request);
  const rpc = startServerCall(
    call.getPath(),
    call.metadata,
    requestId ? { "pixellm.request_id": requestId } : {},
  );
  const fields: LogFields = requestId ? { request_id: requestId } : {};
  try {
    const result = await context.with(rpc.context, () => withLogContext(fields, work));
    rpc.end();
    return result;
  } catch (error) {
    rpc.end(error);
    throw error;
  }
}

/** Stage requests carry the gateway's request id (`request_id` in the protos). */
function requestIdOf(request: unknown): string | undefined {
  const id = (request as { requestId?: unknown } | null)?.requestId;
  return typeof id === "string" && id !== "" ? id : undefined;
}

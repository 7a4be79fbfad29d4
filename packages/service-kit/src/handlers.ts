/**
 * gRPC handler plumbing every stage shares: a handler is an async function, and its error
 * becomes the call's status through the one mapping (`toServiceError`), never ad hoc.
 */
import type * as grpc from "@grpc/grpc-js";
import { toServiceError } from "@pixellm/api";

/** A unary handler: the function's result is the reply, its error the status. */
export function unaryHandler<Req, Res>(
  work: (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    work(call).then(
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
    work(call).then(
      () => call.end(),
      (error: unknown) => call.emit("error", toServiceError(error)),
    );
  };
}

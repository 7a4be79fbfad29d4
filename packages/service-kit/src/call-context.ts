/** What a handler needs from an incoming call: its absolute deadline and a cancellation signal. */
import type * as grpc from "@grpc/grpc-js";

export interface CallContext {
  /** Absolute deadline (ms since the epoch), when the client set one. */
  readonly deadline?: number;
  /** Aborts when the client cancels or the call's deadline passes. */
  readonly signal: AbortSignal;
}

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

export function callContext(call: AnyCall): CallContext {
  const controller = new AbortController();
  call.on("cancelled", () => controller.abort());
  const raw = call.getDeadline();
  const deadline = raw instanceof Date ? raw.getTime() : Number.isFinite(raw) ? raw : undefined;
  return { ...(deadline !== undefined ? { deadline } : {}), signal: controller.signal };
}

/** What a handler needs from an incoming call: its absolute deadline, a cancellation signal and its trace. */
import type * as grpc from "@grpc/grpc-js";
import { type Context, context } from "@opentelemetry/api";

export interface CallContext {
  /** Absolute deadline (ms since the epoch), when the client set one. */
  readonly deadline?: number;
  /** Aborts when the client cancels the call before its deadline. */
  readonly signal: AbortSignal;
  /** The call's trace context (its server span), for the batch spans that link to it. */
  readonly trace: Context;
}

/**
 * A client cancels its call when its own deadline passes, and the server's copy of the
 * deadline (arrival + grpc-timeout) runs a little later, so a cancel this close to the
 * deadline is taken as the deadline passing. A real cancel this late costs at most this much
 * compute.
 */
const DEADLINE_SLACK_MS = 100;

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/** Call inside the handler (the call's span is then the active one). */
export function callContext(call: AnyCall): CallContext {
  const controller = new AbortController();
  const raw = call.getDeadline();
  const deadline = raw instanceof Date ? raw.getTime() : Number.isFinite(raw) ? raw : undefined;
  // grpc-js also reports "cancelled" when the deadline passes; that is left to the stages'
  // deadline checks, so it fails and is counted as deadline_exceeded, not as a cancellation.
  call.on("cancelled", () => {
    if (deadline === undefined || Date.now() < deadline - DEADLINE_SLACK_MS) controller.abort();
  });
  return {
    ...(deadline !== undefined ? { deadline } : {}),
    signal: controller.signal,
    trace: context.active(),
  };
}

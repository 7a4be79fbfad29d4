/**
 * One span and the RPC metrics per gRPC call, at the two choke points every call passes: the
 * server handler wrappers (handlers.ts) and the gateway's stage calls. Propagation is explicit
 * (W3C trace context in metadata) rather than grpc-js monkey-patching: it works the same under
 * tsx, vitest and compiled code whatever the import order, and health checks and reflection —
 * polled every few hundred milliseconds per replica — never produce spans.
 */
import type * as grpc from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { type Attributes, type Context, SpanKind, SpanStatusCode, context, trace } from "@opentelemetry/api";
import { statusOf } from "@pixellm/api";
import { contextFromMetadata, metadataWithContext, tracer } from "./context";
import { instruments } from "./instruments";

/** Status codes that are the server's fault (OpenTelemetry gRPC conventions); others are the caller's. */
const SERVER_ERRORS = new Set<number>([
  status.UNKNOWN,
  status.DEADLINE_EXCEEDED,
  status.UNIMPLEMENTED,
  status.INTERNAL,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

/** "INVALID_ARGUMENT" for 3: the label value of `code`. */
export function statusName(code: number): string {
  return (status as unknown as Record<number, string>)[code] ?? String(code);
}

/** "/pixellm.v1.VisionEncoder/Encode" → span name and rpc.* attributes. */
function describe(path: string): { name: string; attributes: Attributes } {
  const name = path.startsWith("/") ? path.slice(1) : path;
  const slash = name.lastIndexOf("/");
  return {
    name,
    attributes: {
      "rpc.system": "grpc",
      "rpc.service": name.slice(0, slash),
      "rpc.method": name.slice(slash + 1),
    },
  };
}

export interface ServerCallTelemetry {
  /** The call's context: its span is active in it. */
  readonly context: Context;
  /** Ends the span and records the outcome (no error: OK). */
  end(error?: unknown): void;
}

/** Starts the server span of an incoming call, the child of the caller's context. */
export function startServerCall(
  path: string,
  metadata: grpc.Metadata,
  attributes: Attributes = {},
): ServerCallTelemetry {
  const { name, attributes: rpc } = describe(path);
  const parent = contextFromMetadata(metadata);
  const span = tracer().startSpan(
    name,
    { kind: SpanKind.SERVER, attributes: { ...rpc, ...attributes } },
    parent,
  );
  const metrics = instruments();
  const labels = { method: path };
  metrics.rpcInFlight.add(1, labels);
  const started = performance.now();
  return {
    context: trace.setSpan(parent, span),
    end: (error) => {
      const { code, message } = error === undefined ? { code: status.OK, message: "" } : statusOf(error);
      metrics.rpcInFlight.add(-1, labels);
      countHandledCall(path, code);
      metrics.rpcDuration.record((performance.now() - started) / 1000, labels);
      span.setAttribute("rpc.grpc.status_code", code);
      if (SERVER_ERRORS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message });
      span.end();
    },
  };
}

/**
 * Counts a call's status: every handled call's (startServerCall), and a call an interceptor
 * answered before any handler ran (a missing API key, the call limit, a message over its size
 * limit), which has no span (nothing ran) but is counted with the others, so a storm of refusals
 * shows on the dashboards and alerts.
 */
export function countHandledCall(path: string, code: number): void {
  instruments().rpcHandled.add(1, { method: path, code: statusName(code) });
}

/**
 * Runs an outgoing call attempt in a client span; `run` gets the metadata that carries the span's
 * context to the server. Every non-OK status marks the client span as failed.
 */
export async function tracedCall<T>(
  path: string,
  attributes: Attributes,
  run: (metadata: grpc.Metadata) => Promise<T>,
): Promise<T> {
  const { name, attributes: rpc } = describe(path);
  const span = tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes: { ...rpc, ...attributes } });
  const ctx = trace.setSpan(context.active(), span);
  const started = performance.now();
  const finish = (code: status, message?: string) => {
    instruments().rpcClientDuration.record((performance.now() - started) / 1000, {
      method: path,
      code: statusName(code),
    });
    span.setAttribute("rpc.grpc.status_code", code);
    if (code !== status.OK) span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message } : {}) });
    span.end();
  };
  try {
    const result = await context.with(ctx, () => run(metadataWithContext(ctx)));
    finish(status.OK);
    return result;
  } catch (error) {
    const { code, message } = statusOf(error);
    finish(code, message);
    throw error;
  }
}

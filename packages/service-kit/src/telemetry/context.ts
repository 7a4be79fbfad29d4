/**
 * Trace context across process boundaries: gRPC metadata (W3C `traceparent`/`tracestate`
 * headers) and plain records (a job's data crosses Redis as JSON). Uses the global propagator,
 * so it is a no-op until the SDK (or a test) registers one.
 */
import * as grpc from "@grpc/grpc-js";
import {
  type Context,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
  context,
  propagation,
  trace,
} from "@opentelemetry/api";

/** The tracer every PixelLM span comes from. */
export function tracer() {
  return trace.getTracer("pixellm");
}

const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const values = metadata.get(key).map(String);
    return values.length > 0 ? values : undefined;
  },
};

const metadataSetter: TextMapSetter<grpc.Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
};

/** The context a caller sent in its metadata (the root context when it sent none). */
export function contextFromMetadata(metadata: grpc.Metadata): Context {
  return propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
}

/** Metadata carrying `ctx` (the active context by default) to the service called. */
export function metadataWithContext(
  ctx: Context = context.active(),
  metadata = new grpc.Metadata(),
): grpc.Metadata {
  propagation.inject(ctx, metadata, metadataSetter);
  return metadata;
}

/** `ctx` as a plain record, for data that is stored (a queued job). */
export function traceCarrier(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context stored by `traceCarrier` (the root context when there is none). */
export function contextFromCarrier(carrier: Readonly<Record<string, string>> | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

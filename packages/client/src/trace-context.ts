/**
 * The caller's OpenTelemetry trace context (W3C traceparent), injected into a call's metadata so
 * that the gateway's spans join the caller's trace. @opentelemetry/api is an optional peer
 * dependency, not a dependency: a caller that traces has it (the same instance its SDK registered
 * the propagator with), and a caller that does not installs nothing for it.
 */
import type { Metadata } from "@grpc/grpc-js";

export type InjectTraceContext = (metadata: Metadata) => void;

async function loadInjector(): Promise<InjectTraceContext> {
  try {
    const { context, propagation } = await import("@opentelemetry/api");
    return (metadata) =>
      propagation.inject(context.active(), metadata, {
        set: (carrier, key, value) => carrier.set(key, value),
      });
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND") return () => {};
    throw error;
  }
}

/** A no-op without @opentelemetry/api or without a registered propagator. */
export const injectTraceContext: InjectTraceContext = await loadInjector();

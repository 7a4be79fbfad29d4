/**
 * Adds `trace_id` and `span_id` of the active span to every log line (a line logged inside a
 * request carries the request's trace). Imported for its effect by the package entry, so every
 * service's logger has it without wiring.
 */
import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import { addLogFieldSource } from "../logger";

addLogFieldSource(() => {
  const span = trace.getSpanContext(context.active());
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
});

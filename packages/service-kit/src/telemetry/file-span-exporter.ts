/**
 * A span exporter that appends each span as one JSON line to a file (PIXELLM_TRACES_EXPORTER=
 * file): how tests collect the spans of several processes and check one trace across them.
 * Writes are synchronous so a span is on disk as soon as it ends; not for production volume.
 */
import { appendFileSync } from "node:fs";
import { type HrTime, SpanKind } from "@opentelemetry/api";
import { type ExportResult, ExportResultCode, hrTimeToMilliseconds } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";

/** One line of the file. */
export interface SpanRecord {
  readonly service: string;
  readonly name: string;
  readonly kind: keyof typeof SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  /** ms since the epoch */
  readonly start: number;
  readonly end: number;
  readonly status: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
}

export class FileSpanExporter implements SpanExporter {
  constructor(private readonly file: string) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      appendFileSync(this.file, spans.map((span) => JSON.stringify(toRecord(span)) + "\n").join(""));
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function toRecord(span: ReadableSpan): SpanRecord {
  const { traceId, spanId } = span.spanContext();
  const parent = span.parentSpanContext?.spanId;
  return {
    service: String(span.resource.attributes["service.name"] ?? ""),
    name: span.name,
    kind: SpanKind[span.kind] as keyof typeof SpanKind,
    traceId,
    spanId,
    ...(parent ? { parentSpanId: parent } : {}),
    start: ms(span.startTime),
    end: ms(span.endTime),
    status: span.status.code,
    attributes: span.attributes,
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId })),
  };
}

function ms(time: HrTime): number {
  return hrTimeToMilliseconds(time);
}

/**
 * Telemetry of the shared pieces, in process: a dynamic batch is one span that links to the
 * requests it served (each request gets its own queue-wait span) and moves the batch metrics;
 * a server call continues the caller's trace from its metadata and counts its status code.
 */
import * as grpc from "@grpc/grpc-js";
import { SpanKind, context, trace } from "@opentelemetry/api";
import type { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { EngineError } from "@pixellm/errors";
import { beforeAll, describe, expect, it } from "vitest";
import { type TestMetrics, installTestMetrics } from "../../../test/support/test-metrics";
import { installTestTracing } from "../../../test/support/test-tracing";
import { DynamicBatcher, metadataWithContext, stageTelemetry, startServerCall } from "../src/index";
import { observeEventLoopLag } from "../src/telemetry/event-loop-lag";

let spans: InMemorySpanExporter;
let testMetrics: TestMetrics;

beforeAll(() => {
  spans = installTestTracing();
  testMetrics = installTestMetrics();
});

const points = (name: string) => testMetrics.points(name);

describe("batch telemetry", () => {
  it("a batch span links to each request's span; each request gets a queue-wait child; metrics count the batch", async () => {
    const telemetry = stageTelemetry("test-stage", () => batcher.stats());
    const batcher = new DynamicBatcher<number, number>(
      { maxBatchSize: 3, maxDelayMs: 50, maxQueue: 8 },
      (items) =>
        Promise.resolve(items.map((x) => (x < 0 ? new EngineError("invalid_argument", "negative") : x * 2))),
      telemetry.onBatch,
    );
    const tracer = trace.getTracer("test");
    const requests = [1, 2, -3].map((x) => {
      const span = tracer.startSpan(`request ${x}`);
      const request = trace.setSpan(context.active(), span);
      return { span, result: batcher.submit(x, { trace: request }).catch((e: unknown) => e) };
    });
    const results = await Promise.all(requests.map((r) => r.result));
    expect(results.slice(0, 2)).toEqual([2, 4]);
    expect(results[2]).toBeInstanceOf(EngineError); // a failed item is its own; the batch still ran
    for (const r of requests) r.span.end();

    const finished = spans.getFinishedSpans();
    const batch = finished.filter((s) => s.name === "test-stage batch");
    expect(batch).toHaveLength(1);
    expect(batch[0]!.parentSpanContext).toBeUndefined();
    expect(batch[0]!.attributes["pixellm.batch.size"]).toBe(3);
    expect(batch[0]!.links.map((l) => l.context.spanId).sort()).toEqual(
      requests.map((r) => r.span.spanContext().spanId).sort(),
    );
    for (const r of requests) {
      const wait = finished.filter(
        (s) =>
          s.name === "test-stage queue wait" && s.parentSpanContext?.spanId === r.span.spanContext().spanId,
      );
      expect(wait).toHaveLength(1);
      expect(wait[0]!.spanContext().traceId).toBe(r.span.spanContext().traceId);
    }

    const sizes = await points("pixellm_stage_batch_size");
    const size = sizes.find((p) => p.attributes.stage === "test-stage")!.value as {
      count: number;
      sum: number;
    };
    expect([size.count, size.sum]).toEqual([1, 3]);
    const waits = (await points("pixellm_stage_queue_wait_seconds")).find(
      (p) => p.attributes.stage === "test-stage",
    )!;
    expect((waits.value as { count: number }).count).toBe(3);
    const depth = (await points("pixellm_stage_queue_depth")).find(
      (p) => p.attributes.stage === "test-stage",
    )!;
    expect(depth.value).toBe(0);
    telemetry.close();
  });
});

describe("rpc telemetry", () => {
  it("a server call continues the trace its caller sent in metadata and counts its status code", async () => {
    const caller = trace.getTracer("test").startSpan("caller", { kind: SpanKind.CLIENT });
    const metadata = metadataWithContext(trace.setSpan(context.active(), caller));
    expect(metadata.get("traceparent")[0]).toContain(caller.spanContext().spanId);
    const call = startServerCall("/test.v1.Thing/Do", metadata);
    call.end(new EngineError("invalid_argument", "bad thing"));
    caller.end();
    const server = spans.getFinishedSpans().find((s) => s.name === "test.v1.Thing/Do")!;
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(server.attributes["rpc.grpc.status_code"]).toBe(grpc.status.INVALID_ARGUMENT);
    const handled = await points("pixellm_rpc_server_handled_total");
    expect(handled.find((p) => p.attributes.method === "/test.v1.Thing/Do")?.attributes.code).toBe(
      "INVALID_ARGUMENT",
    );
  });
});

describe("event-loop lag", () => {
  it("reports how late the loop ran: near zero when idle, the block's length when it was blocked", async () => {
    const stop = observeEventLoopLag();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const idle = await points("pixellm_event_loop_lag_seconds");
      const quantile = (ps: typeof idle, q: string) =>
        ps.find((p) => p.attributes.quantile === q)?.value as number;
      // A free loop runs its 10 ms timer within a few milliseconds (a loaded shared machine included).
      expect(quantile(idle, "0.99")).toBeLessThan(0.02);
      const blockedFor = 120;
      const started = performance.now();
      while (performance.now() - started < blockedFor) {
        // a synchronous stretch, as an onnxruntime run on the main thread was
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      const blocked = await points("pixellm_event_loop_lag_seconds");
      expect(quantile(blocked, "1")).toBeGreaterThanOrEqual((blockedFor - 15) / 1000);
      expect(quantile(blocked, "0.5")).toBeLessThanOrEqual(quantile(blocked, "0.99"));
    } finally {
      stop();
    }
  });
});

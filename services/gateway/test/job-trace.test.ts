/**
 * A job's trace survives the queue hop and its retries: the context stored with the job at
 * submission is the parent of every execution, whichever gateway runs it (two JobTelemetry
 * instances stand for two gateways; the in-memory queue retries like BullMQ).
 */
import { status } from "@grpc/grpc-js";
import { SpanKind, SpanStatusCode, context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { expect, it } from "vitest";
import { JobTelemetry } from "../src/job-telemetry";
import type { JobResult } from "../src/job-types";
import { JobFailureError } from "../src/queue/job-queue";
import { MemoryJobQueue } from "../src/queue/memory-job-queue";
import { waitForEnd } from "../src/queue/watch";
import { jobData } from "./job-data";

const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

it("a retried job's executions on two gateways are children of the submission's span, in one trace", async () => {
  const queue = new MemoryJobQueue({ attempts: 3, backoffMs: 5, resultTtlSeconds: 60 });
  const submitting = new JobTelemetry("memory");
  const gateways = [new JobTelemetry("memory"), new JobTelemetry("memory")];
  queue.work(
    (job, run) =>
      gateways[(run.attempt - 1) % 2]!.execution(job, run, () => {
        if (run.attempt === 1)
          throw new JobFailureError({ code: status.UNAVAILABLE, message: "stage gone", retryable: true });
        return Promise.resolve({ text: "done" } as JobResult);
      }),
    1,
  );
  const root = trace.getTracer("test").startSpan("client");
  await context.with(trace.setSpan(context.active(), root), () =>
    submitting.publish("job-1", (carrier) =>
      queue.add(jobData({ trace: carrier }), { id: "job-1", priority: 0 }),
    ),
  );
  root.end();
  const end = await waitForEnd(queue, "job-1", new AbortController().signal);
  expect(end?.state).toBe("succeeded");
  expect(end?.attempts).toBe(2);

  const spans = exporter.getFinishedSpans();
  const traceId = root.spanContext().traceId;
  const publish = spans.find((s) => s.kind === SpanKind.PRODUCER)!;
  expect(publish.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
  const executions = spans.filter((s) => s.kind === SpanKind.CONSUMER);
  expect(executions.map((s) => s.attributes["pixellm.job.attempt"])).toEqual([1, 2]);
  for (const execution of executions) {
    expect(execution.spanContext().traceId).toBe(traceId);
    expect(execution.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
  }
  expect(executions[0]!.status.code).toBe(SpanStatusCode.ERROR);
  expect(executions[1]!.status.code).toBe(SpanStatusCode.UNSET);
  // The queue wait is recorded once, for the first execution.
  expect(spans.filter((s) => s.name === "jobs wait")).toHaveLength(1);
  await queue.close(1000);
});

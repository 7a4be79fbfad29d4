/**
 * A job's trace across the queue hop, and the gateway's job metrics. Submitting a job runs in a
 * PRODUCER span whose context is stored with the job (`JobData.trace`, W3C trace context); each
 * execution — on whichever gateway takes it, first run, retry or recovery after a crash — runs
 * in a CONSUMER span that is that context's child, so one request is one trace from the client
 * through Redis to every stage. Every line logged during an execution carries the job id, the
 * request id and the trace.
 */
import { status } from "@grpc/grpc-js";
import { type Attributes, SpanKind, SpanStatusCode, context, trace } from "@opentelemetry/api";
import { statusOf } from "@pixellm/api";
import {
  contextFromCarrier,
  instruments,
  observe,
  statusName,
  traceCarrier,
  tracer,
  withLogContext,
} from "@pixellm/service-kit";
import type { JobData } from "./job-types";
import { type ProcessContext, JobFailureError } from "./queue/job-queue";

const GATEWAY = { stage: "gateway" };

export class JobTelemetry {
  private readonly metrics = instruments();
  private shed = 0;
  private deadlineExceeded = 0;
  private readonly removers: (() => void)[];

  /** `system`: the queue's kind, "bullmq" or "memory" (span attribute messaging.system). */
  constructor(private readonly system: string) {
    this.removers = [
      observe(this.metrics.shed, (report) => report(this.shed, GATEWAY)),
      observe(this.metrics.deadlineExceeded, (report) => report(this.deadlineExceeded, GATEWAY)),
    ];
  }

  /** Counts a submission refused because the queue was full. */
  countShed(): void {
    this.shed++;
  }

  /**
   * Runs a submission in its PRODUCER span; `enqueue` gets the trace carrier to store with the
   * job, so its executions continue this trace.
   */
  publish<T>(jobId: string, enqueue: (trace: Readonly<Record<string, string>>) => Promise<T>): Promise<T> {
    return tracer().startActiveSpan(
      "jobs publish",
      {
        kind: SpanKind.PRODUCER,
        attributes: { ...this.messaging("publish"), "messaging.message.id": jobId },
      },
      async (span) => {
        try {
          return await enqueue(traceCarrier());
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: statusOf(error).message });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  /** Runs one execution of a job in its CONSUMER span and log context, and records its outcome. */
  async execution<T>(data: JobData, job: ProcessContext, run: () => Promise<T>): Promise<T> {
    const parent = contextFromCarrier(data.trace);
    const started = Date.now();
    if (job.attempt === 1) {
      this.metrics.queueWait.record(Math.max(0, started - data.createdAt) / 1000);
      // The time in the queue, as its own span of the request's trace.
      tracer()
        .startSpan("jobs wait", { startTime: data.createdAt, attributes: this.messaging("receive") }, parent)
        .end(started);
    }
    const span = tracer().startSpan(
      "jobs process",
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...this.messaging("process"),
          "messaging.message.id": job.jobId,
          "pixellm.request_id": data.requestId,
          "pixellm.job.attempt": job.attempt,
        },
      },
      parent,
    );
    const fields = { job_id: job.jobId, request_id: data.requestId, attempt: job.attempt };
    let code: number = status.OK;
    try {
      return await context.with(trace.setSpan(parent, span), () => withLogContext(fields, run));
    } catch (error) {
      code = error instanceof JobFailureError ? error.failure.code : statusOf(error).code;
      if (code === Number(status.DEADLINE_EXCEEDED)) this.deadlineExceeded++;
      span.setStatus({ code: SpanStatusCode.ERROR, message: statusOf(error).message });
      throw error;
    } finally {
      const labels = { code: statusName(code) };
      this.metrics.jobsProcessed.add(1, labels);
      this.metrics.jobDuration.record((Date.now() - started) / 1000, labels);
      span.setAttribute("rpc.grpc.status_code", code);
      span.end();
    }
  }

  close(): void {
    for (const remove of this.removers.splice(0)) remove();
  }

  private messaging(operation: string): Attributes {
    return {
      "messaging.system": this.system,
      "messaging.operation.type": operation,
      "messaging.destination.name": "jobs",
    };
  }
}

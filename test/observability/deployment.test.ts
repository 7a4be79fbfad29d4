/**
 * Observability of a real local deployment (one replica per stage, one gateway, Redis, spans
 * written to a file by every process): one trace per request from the client through the queue
 * to all four services, batch spans that link to the requests they serve, metrics that count
 * exactly what the stages' own Info statistics count, and logs without user content.
 */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { status } from "@grpc/grpc-js";
import { trace } from "@opentelemetry/api";
import type { SegmentResponse__Output } from "@pixellm/api";
import { PixelLMClient } from "@pixellm/client";
import { stageInfo } from "@pixellm/launcher";
import { METRICS, type SpanRecord } from "@pixellm/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDeployment, startTestDeployment } from "../support/deployment";
import { eventually } from "../support/eventually";
import { shapesImage } from "../support/images";
import { families, scrape, total } from "../support/prometheus";
import { readSpans } from "../support/spans";
import { installTestTracing } from "../support/test-tracing";
import { tempDir } from "../support/tiny-bundle";

let env: TestDeployment;
let client: PixelLMClient;
let tracesFile: string;

beforeAll(async () => {
  installTestTracing();
  tracesFile = path.join(await tempDir("observability"), "spans.jsonl");
  env = await startTestDeployment({
    replicas: 1,
    gateways: 1,
    env: { PIXELLM_TRACES_EXPORTER: "file", PIXELLM_TRACES_FILE: tracesFile, PIXELLM_LOG_LEVEL: "debug" },
    // Few jobs at once, so a burst of submissions visibly waits in the queue.
    gatewayEnv: { GATEWAY_WORKER_CONCURRENCY: "2" },
  });
  client = new PixelLMClient(env.deployment.gatewayAddresses[0]!);
}, 240_000);

afterAll(async () => {
  client?.close();
  await env?.deployment.stop();
});

const QUERY = "Segment the ball.";
const STAGES = [
  { role: "vision-encoder", method: "pixellm.v1.VisionEncoder/Encode", batches: ["vision-encoder batch"] },
  { role: "llm", method: "pixellm.v1.LLMGenerator/Generate", batches: ["llm prefill", "llm decode"] },
  { role: "pixel-decoder", method: "pixellm.v1.PixelDecoder/Decode", batches: ["pixel-decoder batch"] },
] as const;

/** Runs `work` inside a root span of this (client) process; returns its result and the trace. */
function traced<T>(work: () => Promise<T>): Promise<{ result: T; traceId: string; rootId: string }> {
  return trace.getTracer("test").startActiveSpan("test client", async (span) => {
    try {
      const { traceId, spanId } = span.spanContext();
      return { result: await work(), traceId, rootId: spanId };
    } finally {
      span.end();
    }
  });
}

/** Every span written so far, once `ready` holds of them (processes write spans as they end). */
function spansWhen(ready: (spans: readonly SpanRecord[]) => boolean): Promise<SpanRecord[]> {
  return eventually(() => readSpans(tracesFile), ready, 10_000);
}

function only(spans: readonly SpanRecord[], what: string, match: (span: SpanRecord) => boolean): SpanRecord {
  const found = spans.filter(match);
  expect(found, what).toHaveLength(1);
  return found[0]!;
}

/** The stage part of a request's trace: client span → stage server span → queue wait; linked batches. */
function expectStageSpans(all: readonly SpanRecord[], traceId: string, consumer: SpanRecord): void {
  const spans = all.filter((s) => s.traceId === traceId);
  for (const stage of STAGES) {
    const call = only(
      spans,
      `gateway → ${stage.role}`,
      (s) => s.kind === "CLIENT" && s.name === stage.method,
    );
    expect(call.service).toBe("gateway");
    expect(call.parentSpanId).toBe(consumer.spanId);
    const server = only(
      spans,
      `${stage.role} server`,
      (s) => s.service === stage.role && s.kind === "SERVER",
    );
    expect(server.name).toBe(stage.method);
    expect(server.parentSpanId).toBe(call.spanId);
    const wait = only(spans, `${stage.role} queue wait`, (s) => s.name === `${stage.role} queue wait`);
    expect(wait.parentSpanId).toBe(server.spanId);
    // Batches serve many requests: each is a root of its own trace that links to this request.
    const batches = all.filter((s) =>
      s.links.some((l) => l.traceId === traceId && l.spanId === server.spanId),
    );
    expect(new Set(batches.map((b) => b.name))).toEqual(new Set(stage.batches));
    for (const batch of batches) {
      expect(batch.service).toBe(stage.role);
      expect(batch.traceId).not.toBe(traceId);
      expect(batch.parentSpanId).toBeUndefined();
    }
  }
}

describe("traces", () => {
  it("a Segment call is one trace: client → gateway → queue → vision → llm → decoder, batches linked", async () => {
    const image = await shapesImage(320, 240, "png", 11);
    const { traceId, rootId } = await traced(() =>
      client.segment({ image, query: QUERY }, { timeoutMs: 60_000 }),
    );
    const all = await spansWhen((spans) =>
      spans.some((s) => s.traceId === traceId && s.name === "pixellm.v1.PixelLM/Segment"),
    );
    const spans = all.filter((s) => s.traceId === traceId);
    expect(new Set(spans.map((s) => s.service))).toEqual(
      new Set(["gateway", "vision-encoder", "llm", "pixel-decoder"]),
    );
    const server = only(spans, "gateway server span", (s) => s.name === "pixellm.v1.PixelLM/Segment");
    expect(server.kind).toBe("SERVER");
    expect(server.parentSpanId).toBe(rootId);
    const publish = only(spans, "job publish", (s) => s.kind === "PRODUCER");
    expect(publish.parentSpanId).toBe(server.spanId);
    expect(only(spans, "job wait", (s) => s.name === "jobs wait").parentSpanId).toBe(publish.spanId);
    // The Redis hop: the worker's span is the child of the context stored with the job.
    const consumer = only(spans, "job execution", (s) => s.kind === "CONSUMER");
    expect(consumer.parentSpanId).toBe(publish.spanId);
    expectStageSpans(all, traceId, consumer);
  });

  it("an async job's trace continues in the worker (SubmitJob → queue → stages)", async () => {
    const image = await shapesImage(280, 300, "jpeg", 12);
    const { result: job, traceId, rootId } = await traced(() => client.submitJob({ image, query: QUERY }));
    let last = job;
    for await (const update of client.watchJob(job.jobId)) last = update;
    expect(last.state).toBe("JOB_STATE_SUCCEEDED");
    const all = await spansWhen((spans) =>
      spans.some(
        (s) =>
          s.traceId === traceId &&
          s.kind === "CONSUMER" &&
          s.attributes["messaging.message.id"] === job.jobId,
      ),
    );
    const spans = all.filter((s) => s.traceId === traceId);
    const submit = only(spans, "SubmitJob server span", (s) => s.name === "pixellm.v1.PixelLM/SubmitJob");
    expect(submit.parentSpanId).toBe(rootId);
    const publish = only(spans, "job publish", (s) => s.kind === "PRODUCER");
    expect(publish.parentSpanId).toBe(submit.spanId);
    const consumer = only(spans, "job execution", (s) => s.kind === "CONSUMER");
    expect(consumer.parentSpanId).toBe(publish.spanId);
    // Another process could have run it: the link between the two is only the stored context.
    expect(consumer.attributes["messaging.system"]).toBe("bullmq");
    expectStageSpans(all, traceId, consumer);
  });

  it("the queue's Redis polling and the health checks make no spans", async () => {
    // Long enough for many BullMQ polls, stalled-job checks and health checks (every 500 ms).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const names = new Set((await readSpans(tracesFile)).map((s) => s.name));
    const expected = [
      /^pixellm\.v1\.(PixelLM|VisionEncoder|LLMGenerator|PixelDecoder)\/\w+$/,
      /^jobs (publish|wait|process)$/,
      /^(vision-encoder|llm|pixel-decoder) (queue wait|batch|prefill|decode)$/,
    ];
    for (const name of names)
      expect(
        expected.some((pattern) => pattern.test(name)),
        name,
      ).toBe(true);
  });
});

describe("metrics", () => {
  const scrapeAll = async () =>
    new Map(
      await Promise.all(
        env.deployment.processes.map(async (p) => [p.role, await scrape(p.metricsUrl)] as const),
      ),
    );

  it("after a small load every counter and histogram moved by what happened", async () => {
    const gateway = env.deployment.byRole("gateway")[0]!;
    const before = await scrape(gateway.metricsUrl);
    const images = await Promise.all(
      Array.from({ length: 6 }, (_, i) => shapesImage(200 + 16 * i, 180, "png", 20 + i)),
    );
    const responses = await Promise.all(
      images.map((image) => client.segment({ image, query: QUERY }, { timeoutMs: 60_000 })),
    );
    const bad = await client
      .segment({ image: new Uint8Array([1, 2, 3]), query: QUERY })
      .catch((e: unknown) => e);
    expect((bad as { code: number }).code).toBe(status.INVALID_ARGUMENT);
    const after = await scrapeAll();

    const g = after.get("gateway")!;
    const delta = (name: string, labels: Record<string, string>) =>
      total(g, name, labels) - total(before, name, labels);
    const segment = "/pixellm.v1.PixelLM/Segment";
    expect(delta("pixellm_rpc_server_handled_total", { method: segment, code: "OK" })).toBe(6);
    expect(delta("pixellm_rpc_server_handled_total", { method: segment, code: "INVALID_ARGUMENT" })).toBe(1);
    expect(delta("pixellm_rpc_server_duration_seconds_count", { method: segment })).toBe(7);
    expect(delta("pixellm_jobs_processed_total", { code: "OK" })).toBe(6);
    expect(
      delta("pixellm_rpc_client_duration_seconds_count", {
        method: "/pixellm.v1.VisionEncoder/Encode",
        code: "OK",
      }),
    ).toBe(6);
    expect(total(g, "pixellm_rpc_server_in_flight", { method: segment })).toBe(0);
    for (const stage of ["vision-encoder", "llm", "pixel-decoder"])
      expect(total(g, "pixellm_stage_replicas", { stage, health: "healthy" }), stage).toBe(1);

    // Each stage's histograms hold exactly the batches and items its Info reports (whole process).
    for (const stage of STAGES) {
      const process = env.deployment.byRole(stage.role)[0]!;
      const stats = (await stageInfo(process)).stats!;
      const s = after.get(stage.role)!;
      const batchPhase = stage.role === "llm" ? "decode" : "batch";
      expect(total(s, "pixellm_stage_batch_size_count", { phase: batchPhase }), stage.role).toBe(
        Number(stats.batches),
      );
      expect(total(s, "pixellm_stage_batch_size_sum", { phase: batchPhase }), stage.role).toBe(
        Number(stats.items),
      );
      expect(total(s, "pixellm_stage_batch_seconds_count", { phase: batchPhase })).toBe(
        Number(stats.batches),
      );
      const queued = stage.role === "llm" ? Number(stats.prefillItems) : Number(stats.items);
      expect(total(s, "pixellm_stage_queue_wait_seconds_count", { stage: stage.role })).toBe(queued);
      expect(total(s, "pixellm_stage_queue_depth", { stage: stage.role })).toBe(0);
      expect(total(s, "pixellm_model_load_seconds", { stage: stage.role })).toBeGreaterThan(0);
      expect(total(s, "pixellm_model_warmup_seconds", { stage: stage.role })).toBeGreaterThan(0);
      expect(total(s, "pixellm_rpc_server_handled_total", { method: `/${stage.method}`, code: "OK" })).toBe(
        queued,
      );
    }
    const llm = after.get("llm")!;
    const llmStats = (await stageInfo(env.deployment.byRole("llm")[0]!)).stats!;
    expect(total(llm, "pixellm_stage_batch_size_count", { phase: "prefill" })).toBe(
      Number(llmStats.prefillBatches),
    );
    expect(total(llm, "pixellm_stage_batch_size_sum", { phase: "prefill" })).toBe(
      Number(llmStats.prefillItems),
    );
    // Every request so far generated its answer's ids, and every one started with a first token.
    const requests = Number(llmStats.prefillItems);
    expect(total(llm, "pixellm_llm_time_to_first_token_seconds_count")).toBe(requests);
    expect(total(llm, "pixellm_llm_time_to_first_codebook_token_seconds_count")).toBeGreaterThan(0);
    expect(total(llm, "pixellm_llm_kv_cache_tokens")).toBe(0);
    expect(total(llm, "pixellm_llm_kv_cache_budget_tokens")).toBe(32_768);
    const generated = responses.reduce((sum, r: SegmentResponse__Output) => sum + r.outputIds.length, 0);
    expect(generated).toBeGreaterThan(0);
    expect(total(llm, "pixellm_llm_generated_tokens_total")).toBeGreaterThanOrEqual(generated);

    // Every metric the catalog lists for a service is in that service's scrape.
    for (const [role, samples] of after) {
      const present = families(samples);
      for (const spec of Object.values(METRICS))
        if ((spec.services as readonly string[]).includes(role))
          expect(present, `${role}: ${spec.name}`).toContain(spec.name);
    }
  });

  it("pixellm_queue_jobs shows a burst of jobs waiting, then an empty queue", async () => {
    const gateway = env.deployment.byRole("gateway")[0]!;
    const images = await Promise.all(
      Array.from({ length: 8 }, (_, i) => shapesImage(240, 160 + 8 * i, "png", 40 + i)),
    );
    const jobs = await Promise.all(images.map((image) => client.submitJob({ image, query: QUERY })));
    const busy = await scrape(gateway.metricsUrl);
    const waiting = ["waiting", "prioritized", "delayed"].reduce(
      (sum, state) => sum + total(busy, "pixellm_queue_jobs", { state }),
      0,
    );
    expect(waiting).toBeGreaterThan(0);
    expect(total(busy, "pixellm_queue_jobs", { state: "active" })).toBeLessThanOrEqual(2);
    for (const job of jobs) for await (const _ of client.watchJob(job.jobId)) void _;
    const idle = await scrape(gateway.metricsUrl);
    for (const state of ["waiting", "prioritized", "delayed", "active"])
      expect(total(idle, "pixellm_queue_jobs", { state }), state).toBe(0);
  });
});

describe("event-loop lag", () => {
  it("every service's loop stays within 20 ms at p99 while the stages compute back-to-back batches", async () => {
    const images = await Promise.all(
      Array.from({ length: 8 }, (_, i) => shapesImage(300 + i, 200, "png", 60 + i)),
    );
    const until = Date.now() + 8_000;
    let served = 0;
    // A closed loop of eight callers keeps a batch waiting at every stage for eight seconds.
    await Promise.all(
      images.map(async (image) => {
        while (Date.now() < until) {
          await client.segment({ image, query: QUERY }, { timeoutMs: 60_000 });
          served++;
        }
      }),
    );
    expect(served).toBeGreaterThan(8);
    for (const process of env.deployment.processes) {
      const samples = await scrape(process.metricsUrl);
      const p99 = total(samples, "pixellm_event_loop_lag_seconds", { quantile: "0.99" });
      const max = total(samples, "pixellm_event_loop_lag_seconds", { quantile: "1" });
      console.log(
        `${process.role}: event-loop lag p99 ${(1000 * p99).toFixed(1)} ms, max ${(1000 * max).toFixed(1)} ms (the metric's 10–20 s window, startup included) over ${served} requests`,
      );
      expect(p99, process.role).toBeGreaterThan(0);
      expect(p99, process.role).toBeLessThanOrEqual(0.02);
    }
  });
});

describe("logs", () => {
  it("a request's prompt and image never reach any log; its lines carry the trace and ids", async () => {
    const secret = "quokka-zanzibar-4417";
    const image = await shapesImage(333, 222, "png", 77);
    const response = await client.segment(
      { image, query: `Please segment the ${secret} on the left.` },
      { timeoutMs: 60_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // log lines are flushed by the processes
    const files = (await readdir(env.logDir)).filter((f) => f.endsWith(".log"));
    expect(files).toHaveLength(4);
    const base64 = Buffer.from(image).toString("base64");
    const imageChunks = [0, 1, 2, 3].map((i) => base64.slice(100 + 64 * i, 164 + 64 * i));
    const texts = [
      ...(await Promise.all(files.map((f) => readFile(path.join(env.logDir, f), "utf8")))),
      await readFile(tracesFile, "utf8"),
    ];
    for (const text of texts) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain("segment the");
      for (const chunk of imageChunks) expect(text).not.toContain(chunk);
    }
    const gatewayLines = texts[files.indexOf("gateway-0.log")]!.split("\n")
      .filter((line) => line.includes(response.jobId))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(gatewayLines.length).toBeGreaterThan(0);
    for (const line of gatewayLines) {
      expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
      expect(line.job_id).toBe(response.jobId);
      expect(typeof line.request_id).toBe("string");
    }
  });
});

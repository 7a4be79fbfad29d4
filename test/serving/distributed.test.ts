/**
 * The distributed deployment (2 replicas per stage, 2 gateways, real Redis, real gRPC on
 * loopback) against the in-process engine and the serving contract: same results, batching
 * across requests, deadlines and cancellation that stop compute, a bounded queue, idempotency,
 * admitted images gone once their jobs have their results.
 */
import { type ServiceError, status } from "@grpc/grpc-js";
import { PixelLMClient } from "@pixellm/client";
import { PixelLMEngine } from "@pixellm/engine";
import { gatewayConfig, startGateway } from "@pixellm/gateway";
import { type ManagedProcess, batchTotals, stageInfo } from "@pixellm/launcher";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure } from "../support/call-failure";
import { REDIS_URL, type TestDeployment, startTestDeployment } from "../support/deployment";
import { shapesImage } from "../support/images";

let env: TestDeployment;
let engine: PixelLMEngine;
let clients: PixelLMClient[];

beforeAll(async () => {
  env = await startTestDeployment({ replicas: 2, gateways: 2 });
  engine = await PixelLMEngine.load(env.tiny.bundleDir);
  clients = env.deployment.gatewayAddresses.map((address) => new PixelLMClient(address));
}, 240_000);

afterAll(async () => {
  for (const c of clients ?? []) c.close();
  await engine?.close();
  await env?.deployment.stop();
});

/** A distinct image per index (distinct bytes: no vision checkpoint is shared). */
const image = (i: number) =>
  shapesImage(160 + 8 * (i % 40), 120 + 4 * Math.floor(i / 40), i % 3 === 0 ? "jpeg" : "png", i);

const stages = () => ({
  vision: env.deployment.byRole("vision-encoder"),
  llm: env.deployment.byRole("llm"),
  decoder: env.deployment.byRole("pixel-decoder"),
});

/**
 * A gateway of the test's own in front of the shared deployment's stage replicas, with a queue of
 * its own (no other gateway takes its jobs), configured by `settings`.
 */
async function startSideGateway(name: string, settings: Record<string, string>) {
  const join = (processes: readonly ManagedProcess[]) => processes.map((p) => p.address).join(",");
  const { vision, llm, decoder } = stages();
  const gateway = await startGateway(
    gatewayConfig({
      PIXELLM_BUNDLE: env.tiny.bundleDir,
      GATEWAY_PORT: "0",
      GATEWAY_HOST: "127.0.0.1",
      REDIS_URL,
      PIXELLM_KEY_PREFIX: `${env.keyPrefix}-${name}`,
      VISION_ADDRESSES: join(vision),
      LLM_ADDRESSES: join(llm),
      DECODER_ADDRESSES: join(decoder),
      PIXELLM_LOG_LEVEL: "error",
      GATEWAY_REDIS_CHECK: "warn",
      ...settings,
    }),
  );
  return { gateway, address: `127.0.0.1:${gateway.port}` };
}

describe("distributed serving", () => {
  it("returns what the in-process engine returns, sync and async, through either gateway", async () => {
    const cases = [
      { image: await shapesImage(640, 427), query: "Please segment the red ball." },
      { image: await shapesImage(300, 500, "jpeg", 1), query: "Where is the blue box?" },
      {
        image: await shapesImage(900, 160, "webp", 2),
        query: "What is in the image? Please output segmentation mask.",
      },
    ];
    for (const [i, c] of cases.entries()) {
      const local = await engine.segment(c);
      const sync = await clients[i % 2]!.segment(c, { timeoutMs: 60_000 });
      expect(sync.outputIds).toEqual(local.outputIds);
      expect(sync.text).toBe(local.text);
      expect(sync.targets.map((t) => t.mask?.counts)).toEqual(local.targets.map((t) => t.mask.counts));
      expect(sync.targets.map((t) => t.bbox)).toEqual(local.targets.map((t) => [...t.bbox]));
      expect(sync.targets.length).toBeGreaterThan(0);

      const job = await clients[(i + 1) % 2]!.submitJob(c);
      let last = job;
      for await (const update of clients[i % 2]!.watchJob(job.jobId)) last = update;
      expect(last.state).toBe("JOB_STATE_SUCCEEDED");
      const fetched = await clients[(i + 1) % 2]!.getJob(job.jobId);
      expect(fetched.result?.outputIds).toEqual(local.outputIds);
      expect(fetched.result?.targets.map((t) => t.mask?.counts)).toEqual(
        local.targets.map((t) => t.mask.counts),
      );
    }
  });

  it("batches 32 concurrent requests at every stage (mean batch size > 1 from the services' own statistics), and keeps none of their images once answered", async () => {
    const before = {
      vision: await batchTotals(stages().vision),
      llm: await batchTotals(stages().llm),
      decoder: await batchTotals(stages().decoder),
    };
    const images = await Promise.all(Array.from({ length: 32 }, (_, i) => image(100 + i)));
    const results = await Promise.all(
      images.map((img, i) =>
        clients[i % 2]!.segment({ image: img, query: "Segment the ball." }, { timeoutMs: 120_000 }),
      ),
    );
    for (const r of results)
      expect(r.finishReason, JSON.stringify({ ...r, targets: r.targets.length })).toBe("FINISH_REASON_EOS");
    for (const stage of ["vision", "llm", "decoder"] as const) {
      const after = await batchTotals(stages()[stage]);
      const batches = after.batches - before[stage].batches;
      const items = after.items - before[stage].items;
      expect(items / batches, `${stage}: ${items} items in ${batches} batches`).toBeGreaterThan(1);
    }
    // Every job so far has its result: none holds an admitted image any more, so none is left
    // in Redis (before, each stayed for its deadline + 60 s).
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.keys(`${env.keyPrefix}:image:*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it("a request whose deadline passes stops before using stage compute and ends DEADLINE_EXCEEDED", async () => {
    // One job at a time behind a backlog of 16: the late request waits in the queue for at least
    // 16 vision, generation and decode passes, far longer than its 200 ms deadline.
    const { gateway, address } = await startSideGateway("deadline", { GATEWAY_WORKER_CONCURRENCY: "1" });
    const client = new PixelLMClient(address);
    try {
      const before = { vision: await batchTotals(stages().vision), llm: await batchTotals(stages().llm) };
      const backlog = await Promise.all(Array.from({ length: 16 }, (_, i) => image(200 + i)));
      const jobs = await Promise.all(
        backlog.map((img) => client.submitJob({ image: img, query: "Segment the ball." })),
      );
      const late = await failure(
        client.segment({ image: await image(299), query: "Segment the ball." }, { timeoutMs: 200 }),
      );
      expect(late.code).toBe(status.DEADLINE_EXCEEDED);
      for (const job of jobs) for await (const _ of client.watchJob(job.jobId)) void _;
      // Only the 16 backlog images reached the vision and generation stages.
      expect((await batchTotals(stages().vision)).items - before.vision.items).toBe(16);
      const llmAfter = await Promise.all(stages().llm.map((p) => stageInfo(p)));
      const prefilled = llmAfter.reduce((sum, i) => sum + Number(i.stats?.prefillItems ?? 0), 0);
      expect(prefilled).toBeGreaterThanOrEqual(16);
      expect((await batchTotals(stages().llm)).items).toBeGreaterThan(before.llm.items);
    } finally {
      client.close();
      await gateway.stop();
    }
  });

  it("CancelJob stops a job in flight; it never reaches the later stages", async () => {
    const decoderBefore = await batchTotals(stages().decoder);
    const backlog = await Promise.all(Array.from({ length: 12 }, (_, i) => image(300 + i)));
    const jobs = await Promise.all(
      backlog.map((img, i) => clients[i % 2]!.submitJob({ image: img, query: "Segment the ball." })),
    );
    const victim = await clients[1]!.submitJob({ image: await image(399), query: "Segment the ball." });
    const cancelled = await clients[0]!.cancelJob(victim.jobId);
    expect(["JOB_STATE_CANCELLED", "JOB_STATE_RUNNING", "JOB_STATE_QUEUED"]).toContain(cancelled.state);
    let last = cancelled;
    for await (const update of clients[1]!.watchJob(victim.jobId)) last = update;
    expect(last.state).toBe("JOB_STATE_CANCELLED");
    expect(last.error?.code).toBe(status.CANCELLED);
    for (const job of jobs) for await (const _ of clients[0]!.watchJob(job.jobId)) void _;
    expect((await batchTotals(stages().decoder)).items - decoderBefore.items).toBe(12);
  });

  it("a repeated idempotency key yields one job", async () => {
    const img = await image(500);
    const key = `key-${Date.now()}`;
    const [a, b] = await Promise.all([
      clients[0]!.submitJob({ image: img, query: "Segment it." }, { idempotencyKey: key }),
      clients[1]!.submitJob({ image: img, query: "Segment it." }, { idempotencyKey: key }),
    ]);
    expect(a.jobId).toBe(b.jobId);
    const again = await clients[0]!.submitJob({ image: img, query: "Segment it." }, { idempotencyKey: key });
    expect(again.jobId).toBe(a.jobId);
    for await (const _ of clients[0]!.watchJob(a.jobId)) void _;
    expect((await clients[1]!.getJob(a.jobId)).attempts).toBe(1);
  });

  it("a full queue answers RESOURCE_EXHAUSTED at once", async () => {
    const { gateway, address } = await startSideGateway("small-queue", {
      GATEWAY_MAX_QUEUED: "2",
      GATEWAY_WORKER_CONCURRENCY: "1",
    });
    const client = new PixelLMClient(address);
    try {
      const images = await Promise.all(Array.from({ length: 10 }, (_, i) => image(600 + i)));
      const outcomes = await Promise.allSettled(
        images.map((img) => client.submitJob({ image: img, query: "Segment it." })),
      );
      const rejected = outcomes.filter((o) => o.status === "rejected").map((o) => o.reason as ServiceError);
      expect(rejected.length).toBeGreaterThan(0);
      expect(rejected.every((r) => r.code === status.RESOURCE_EXHAUSTED)).toBe(true);
      expect(rejected[0]!.details).toMatch(/queue is full \(\d+ jobs waiting, limit 2\)/);
    } finally {
      client.close();
      await gateway.stop();
    }
  });

  it("SegmentStream: text deltas add up to the answer, each mask arrives as a target, then the response", async () => {
    const request = { image: await image(700), query: "Please segment the red ball." };
    const events = [];
    for await (const event of clients[0]!.segmentStream(request, { timeoutMs: 60_000 })) events.push(event);
    const done = events[events.length - 1]!.done!;
    expect(done.targets.length).toBeGreaterThan(0);
    const text = events
      .filter((e) => e.text)
      .map((e) => e.text!.text)
      .join("");
    expect(text).toBe(done.rawText);
    expect(events.filter((e) => e.text).flatMap((e) => e.text!.ids)).toEqual(done.outputIds);
    expect(events.filter((e) => e.target).map((e) => e.target!.mask?.counts)).toEqual(
      done.targets.map((t) => t.mask?.counts),
    );
    // targets are streamed before the final response
    expect(events.findIndex((e) => e.target)).toBeLessThan(events.length - 1);
  });

  it("with API keys configured, calls without a valid key are UNAUTHENTICATED", async () => {
    const { gateway, address } = await startSideGateway("auth", { PIXELLM_API_KEYS: "alpha-key,beta-key" });
    const anonymous = new PixelLMClient(address);
    const wrong = new PixelLMClient(address, { apiKey: "gamma-key" });
    const right = new PixelLMClient(address, { apiKey: "beta-key" });
    try {
      const request = { image: await image(701), query: "Segment it." };
      expect((await failure(anonymous.segment(request))).code).toBe(status.UNAUTHENTICATED);
      expect((await failure(wrong.getJob("x"))).details).toMatch(/API key is not valid/);
      expect((await right.segment(request, { timeoutMs: 60_000 })).targets.length).toBeGreaterThan(0);
    } finally {
      for (const c of [anonymous, wrong, right]) c.close();
      await gateway.stop();
    }
  });

  it("refuses bad input with INVALID_ARGUMENT before queueing", async () => {
    const bad = await failure(clients[0]!.segment({ image: Buffer.from("not an image"), query: "x" }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.details).toMatch(/image format not recognised/);
    const empty = await failure(clients[1]!.segment({ image: await image(1), query: "   " }));
    expect(empty.code).toBe(status.INVALID_ARGUMENT);
    const malformed = await failure(clients[0]!.getJob("no-such-job"));
    expect(malformed.code).toBe(status.INVALID_ARGUMENT);
    const unknown = await failure(clients[0]!.getJob("00000000-0000-4000-8000-000000000000"));
    expect(unknown.code).toBe(status.NOT_FOUND);
  });
});

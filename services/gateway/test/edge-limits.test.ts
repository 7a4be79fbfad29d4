/**
 * The gateway's edge over real gRPC on loopback, with the tiny bundle:
 * - a whole embedded gateway (startGateway): 16 MB of `answer_ids` refused before decoding,
 *   quickly and in bounded memory, an oversize GetJob and an oversize image refused, each
 *   followed by a valid Segment that succeeds;
 * - the public handlers over a queue that no worker drains (so it fills): a full queue refuses
 *   before any image is decoded, and decoding beyond GATEWAY_MAX_DECODES plus its queue is shed.
 */
import * as grpc from "@grpc/grpc-js";
import { services } from "@pixellm/api";
import { loadBundle } from "@pixellm/bundle";
import { PixelLMClient } from "@pixellm/client";
import { ServiceHost, connectionLimits, createLogger, unaryCall } from "@pixellm/service-kit";
import { loadTokenizer } from "@pixellm/tokenizer";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { shapesImage } from "../../../test/support/images";
import { makeTinyBundle } from "../../../test/support/tiny-bundle";
import { Admission } from "../src/admission";
import { authInterceptor } from "../src/auth";
import { gatewayConfig } from "../src/config";
import { type RunningGateway, startGateway } from "../src/gateway";
import { ImageWorkers } from "../src/image-workers";
import { JobTelemetry } from "../src/job-telemetry";
import { JobSubmitter } from "../src/jobs";
import { MemoryJobQueue } from "../src/queue/memory-job-queue";
import { RedisKeys } from "../src/redis-keys";
import { publicRequestLimits } from "../src/request-limits";
import { gatewayHandlers } from "../src/server";
import { MemoryBlobStore } from "../src/store/blob-store";
import { MemoryTenantJobs } from "../src/tenants/memory-tenant-jobs";
import { TenantDirectory } from "../src/tenants/tenant-directory";

const SERVICE = "pixellm.v1.PixelLM";
/** GATEWAY_MAX_IMAGE_BYTES's default, which the embedded gateway keeps. */
const MAX_IMAGE_BYTES = 20 * 2 ** 20;
const QUERY = "Segment the red ball.";

let bundleDir: string;
let image: Uint8Array;

beforeAll(async () => {
  bundleDir = (await makeTinyBundle()).bundleDir;
  image = await shapesImage(320, 240);
}, 300_000);

function varint(value: number): number[] {
  const out: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 0x80)) out.push((value % 0x80) | 0x80);
  out.push(value);
  return out;
}

/** A SegmentRequest's bytes, with `answerIds` one-byte ids appended as a packed field 6. */
function segmentBytes(request: { image: Uint8Array; query: string }, answerIds = 0): Buffer {
  const head = services().PixelLM.service.Segment.requestSerialize(request);
  const ids = Buffer.alloc(answerIds, 1);
  return Buffer.concat([head, Buffer.from([6 * 8 + 2, ...varint(answerIds)]), ids]);
}

function sendRaw(client: grpc.Client, method: string, bytes: Buffer): Promise<Buffer> {
  return unaryCall<Buffer>((callback) =>
    client.makeUnaryRequest(
      `/${SERVICE}/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      { deadline: Date.now() + 60_000 },
      callback,
    ),
  );
}

async function refusal(call: Promise<unknown>): Promise<grpc.ServiceError> {
  return call.then(
    () => expect.fail("the call succeeded"),
    (error: grpc.ServiceError) => error,
  );
}

describe("an embedded gateway's request limits", () => {
  let gateway: RunningGateway;
  let raw: grpc.Client;
  let client: PixelLMClient;

  beforeAll(async () => {
    gateway = await startGateway(
      gatewayConfig({
        PIXELLM_BUNDLE: bundleDir,
        GATEWAY_MODE: "embedded",
        GATEWAY_HOST: "127.0.0.1",
        GATEWAY_PORT: "0",
        PIXELLM_WARM_UP: "false",
        PIXELLM_LOG_LEVEL: "error",
      }),
    );
    const address = `127.0.0.1:${gateway.port}`;
    raw = new grpc.Client(address, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": -1 });
    client = new PixelLMClient(address);
  }, 300_000);

  afterAll(async () => {
    raw?.close();
    client?.close();
    await gateway?.stop();
  });

  const validSegment = async () => {
    const response = await client.segment({ image, query: QUERY }, { timeoutMs: 60_000 });
    expect(response.image).toMatchObject({ width: 320, height: 240 });
  };

  it("refuses 16 MB of answer_ids before decoding them, fast and in bounded memory", async () => {
    // Within the Segment byte limit (the 20 MiB image limit and more): the field cap refuses it.
    const request = segmentBytes({ image, query: QUERY }, 16 * 1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const error = await refusal(sendRaw(raw, "Segment", request));
    const elapsed = performance.now() - started;
    const grownMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    console.log(`16 MB answer_ids refused in ${elapsed.toFixed(0)} ms, RSS +${grownMb.toFixed(0)} MB`);
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/^Segment request: answer_ids has more than 2048 elements/);
    // Decoded, these ids took a gateway 9 s and 1.2 GB; the bounds allow a loaded machine and
    // the 16 MB copies of the request on both sides of this one process.
    expect(elapsed).toBeLessThan(5_000);
    expect(grownMb).toBeLessThan(200);
    await validSegment();
  });

  it("refuses 48 MB of answer_ids from the length prefix alone, as RESOURCE_EXHAUSTED", async () => {
    const error = await refusal(
      sendRaw(raw, "Segment", segmentBytes({ image, query: QUERY }, 48 * 1024 * 1024)),
    );
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error.details).toMatch(/^Received message larger than max \(\d+ vs \d+\)$/);
    await validSegment();
  });

  it("refuses answer_ids over the model's positions within the byte limit, as INVALID_ARGUMENT", async () => {
    const error = await refusal(sendRaw(raw, "Segment", segmentBytes({ image, query: QUERY }, 2049)));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe(
      "Segment request: answer_ids has more than 2048 elements (at least 2049); the limit is 2048 (the model's max_position_embeddings)",
    );
    const inner = segmentBytes({ image, query: QUERY }, 2049);
    const nested = Buffer.concat([Buffer.from([0x0a, ...varint(inner.length)]), inner]);
    const submitError = await refusal(sendRaw(raw, "SubmitJob", nested));
    expect(submitError.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(submitError.details).toMatch(
      /^SubmitJob request: request\.answer_ids has more than 2048 elements/,
    );
    await validSegment();
  });

  it("refuses an image over GATEWAY_MAX_IMAGE_BYTES before decoding it, naming the setting", async () => {
    const error = await refusal(
      sendRaw(raw, "Segment", segmentBytes({ image: new Uint8Array(MAX_IMAGE_BYTES + 1), query: QUERY })),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe(
      `Segment request: image is ${MAX_IMAGE_BYTES + 1} bytes; the limit is ${MAX_IMAGE_BYTES} bytes (GATEWAY_MAX_IMAGE_BYTES)`,
    );
    await validSegment();
  });

  it("refuses an oversize GetJob with RESOURCE_EXHAUSTED", async () => {
    const error = await refusal(client.getJob("j".repeat(10_000)));
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error.details).toMatch(/^GetJob request is 10003 bytes, over its 4096-byte limit \(a job id\)$/);
    await validSegment();
  });
});

describe("shedding before the image decode", () => {
  const MAX_QUEUED = 2;
  let host: ServiceHost;
  let images: ImageWorkers;
  let queue: MemoryJobQueue;
  let client: PixelLMClient;
  let admission: Admission;
  const accepted: string[] = [];

  beforeAll(async () => {
    const config = gatewayConfig({
      PIXELLM_BUNDLE: bundleDir,
      GATEWAY_MODE: "embedded",
      GATEWAY_MAX_QUEUED: String(MAX_QUEUED),
      GATEWAY_QUEUE_COUNT_CACHE_MS: "100",
    });
    const { manifest } = await loadBundle(bundleDir, "size");
    const tokenizer = await loadTokenizer(bundleDir);
    const logger = createLogger({ service: "gateway", level: "error" });
    // No worker drains this queue: submitted jobs stay queued.
    queue = new MemoryJobQueue({ attempts: 1, backoffMs: 10, resultTtlSeconds: 60 });
    images = await ImageWorkers.start(1, { maxDecodes: 1, maxWaiting: 1 });
    const telemetry = new JobTelemetry("memory");
    admission = new Admission(config, manifest, tokenizer, images);
    const handlers = gatewayHandlers({
      admission,
      submitter: new JobSubmitter(
        queue,
        new MemoryBlobStore(2 ** 30),
        new RedisKeys("edge-test"),
        config,
        telemetry,
        new MemoryTenantJobs(queue),
      ),
      queue,
      tokenizer,
      defaultTimeoutMs: 60_000,
      logger,
    });
    const limits = publicRequestLimits(config, manifest);
    host = await ServiceHost.start({
      host: "127.0.0.1",
      port: 0,
      services: [
        {
          name: SERVICE,
          definition: services().PixelLM.service,
          implementation: handlers,
          requestLimits: () => limits,
        },
      ],
      maxMessageBytes: config.maxMessageBytes,
      connections: connectionLimits(config),
      interceptors: [authInterceptor(new TenantDirectory([], []), [SERVICE])],
      logger,
    });
    client = new PixelLMClient(`127.0.0.1:${host.port}`);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await host?.shutdown(() => Promise.resolve(), 1000);
    await queue?.close(1000);
    await images?.close();
  });

  it("sheds decodes beyond GATEWAY_MAX_DECODES and its queue with RESOURCE_EXHAUSTED", async () => {
    const large = await shapesImage(4000, 4000);
    let mostRunning = 0;
    const sampler = setInterval(() => (mostRunning = Math.max(mostRunning, images.load.running)), 1);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, () => client.submitJob({ image: large, query: QUERY })),
    );
    clearInterval(sampler);
    for (const o of outcomes) if (o.status === "fulfilled") accepted.push(o.value.jobId);
    const refused = outcomes.filter((o) => o.status === "rejected").map((o) => o.reason as grpc.ServiceError);
    // One decoding and one waiting are admitted; the two that arrive while both places are taken are shed.
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(2);
    expect(refused.map((e) => e.code)).toEqual([
      grpc.status.RESOURCE_EXHAUSTED,
      grpc.status.RESOURCE_EXHAUSTED,
    ]);
    expect(refused[0]!.details).toMatch(
      /^image decoding \(GATEWAY_MAX_DECODES, GATEWAY_MAX_DECODE_QUEUE\) is at capacity \(1 running, 1 waiting\)/,
    );
    expect(mostRunning).toBe(1);
    expect(images.load).toEqual({ running: 0, waiting: 0 });
  });

  it("refuses with a full queue before decoding the image, and admits again once there is room", async () => {
    // The previous test left MAX_QUEUED jobs queued.
    expect((await queue.counts()).queued).toBe(MAX_QUEUED);
    const decode = vi.spyOn(images, "decode");
    const error = await refusal(client.submitJob({ image, query: QUERY }));
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error.details).toBe(
      `the queue is full (${MAX_QUEUED} jobs waiting, limit ${MAX_QUEUED}); retry later`,
    );
    expect(decode).not.toHaveBeenCalled();
    await client.cancelJob(accepted[0]!);
    // The shedding count may be up to GATEWAY_QUEUE_COUNT_CACHE_MS (100) old.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const job = await client.submitJob({ image, query: QUERY });
    expect(job.state).toBe("JOB_STATE_QUEUED");
    expect(decode).toHaveBeenCalledTimes(1);
    decode.mockRestore();
  });

  it("lets go of a waiting Segment call's encoded image once it is admitted", async () => {
    // Room for one more job (the previous tests filled the queue), seen past the count's cache.
    await client.cancelJob(accepted[1]!);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const admit = vi.spyOn(admission, "admit");
    const controller = new AbortController();
    // No worker runs the job: the call waits until it is cancelled.
    const waiting = client.segment({ image, query: QUERY }, { signal: controller.signal });
    await expect.poll(() => admit.mock.results[0]?.type === "return", { timeout: 10_000 }).toBe(true);
    await admit.mock.results[0]!.value;
    const request = admit.mock.calls[0]![0];
    await expect.poll(() => request.image.byteLength, { timeout: 5_000 }).toBe(0);
    controller.abort();
    expect((await refusal(waiting)).code).toBe(grpc.status.CANCELLED);
    admit.mockRestore();
  });
});

/**
 * ServiceHost's edge limits over real gRPC on loopback, with hand-built request bytes: a
 * request over its method's byte limit or field caps is refused before it is decoded, with a
 * status that names the limit, and the server stays bounded in memory; malformed bytes are
 * INVALID_ARGUMENT; the server-wide limit refuses from the length prefix; the call limit
 * refuses calls over it while health checks still answer; a valid call straight afterwards
 * succeeds each time; every refusal is counted in the RPC metrics.
 */
import * as grpc from "@grpc/grpc-js";
import { services } from "@pixellm/api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type CallLimit,
  type ConnectionLimits,
  type RequestLimits,
  ServiceHost,
  checkHealth,
  createLogger,
} from "../src/index";
import { unaryCall } from "../src/client-calls";
import { type TestMetrics, installTestMetrics } from "../../../test/support/test-metrics";

const SERVICE = "pixellm.v1.PixelLM";
const LIMITS: RequestLimits = {
  SubmitJob: {
    maxBytes: 64 * 1024,
    basis: "the test's limit",
    fields: {
      1: { name: "request", fields: { 6: { name: "answer_ids", maxCount: 16, packedVarints: true } } },
    },
  },
  GetJob: { maxBytes: 1024, basis: "a job id" },
};
const SERVER_LIMIT = 1024 * 1024;
const MAX_CALLS = 2;

function varint(value: number): number[] {
  const out: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 0x80)) out.push((value % 0x80) | 0x80);
  out.push(value);
  return out;
}
function lengthDelimited(field: number, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...varint(field * 8 + 2), ...varint(payload.length)]), payload]);
}
/** SubmitJobRequest { request: SegmentRequest { answer_ids: packed `count` ones } }. */
function submitWithAnswerIds(count: number): Buffer {
  return lengthDelimited(1, lengthDelimited(6, new Uint8Array(count).fill(1)));
}
/** GetJobRequest { job_id }. */
function getJob(id: string): Buffer {
  return lengthDelimited(1, Buffer.from(id));
}

let host: ServiceHost;
let client: grpc.Client;
let address: string;
const handled: string[] = [];
/** GetJob calls whose id is "hold" wait here until released. */
const held: (() => void)[] = [];

const CONNECTIONS: ConnectionLimits = {
  maxConcurrentStreams: 100,
  maxSessionMemoryMb: 64,
  keepaliveTimeMs: 60_000,
  maxConnectionIdleMs: 300_000,
  maxConnectionAgeMs: 0,
  shutdownGraceMs: 1000,
};

/** A host of the public service whose handlers record their calls (and hold GetJob("hold")). */
function startHost(connections: ConnectionLimits, callLimit?: CallLimit): Promise<ServiceHost> {
  const reply = (callback: grpc.sendUnaryData<unknown>, id: string) =>
    callback(null, { jobId: id, state: 1 });
  return ServiceHost.start({
    host: "127.0.0.1",
    port: 0,
    services: [
      {
        name: SERVICE,
        definition: services().PixelLM.service,
        implementation: {
          SubmitJob: (
            call: grpc.ServerUnaryCall<{ request?: { answerIds: number[] } }, unknown>,
            callback: grpc.sendUnaryData<unknown>,
          ) => {
            handled.push(`SubmitJob:${call.request.request?.answerIds.length ?? 0}`);
            reply(callback, "submitted");
          },
          GetJob: (
            call: grpc.ServerUnaryCall<{ jobId: string }, unknown>,
            callback: grpc.sendUnaryData<unknown>,
          ) => {
            handled.push(`GetJob:${call.request.jobId.length}`);
            if (call.request.jobId === "hold") held.push(() => reply(callback, "held"));
            else reply(callback, call.request.jobId);
          },
        },
        requestLimits: () => LIMITS,
      },
    ],
    maxMessageBytes: 64 * 1024 * 1024,
    maxReceiveBytes: SERVER_LIMIT,
    connections,
    ...(callLimit ? { callLimit } : {}),
    logger: createLogger({ service: "test", level: "error" }),
  });
}

let testMetrics: TestMetrics;

beforeAll(async () => {
  testMetrics = installTestMetrics();
  host = await startHost(CONNECTIONS, {
    services: [SERVICE],
    maxCalls: MAX_CALLS,
    setting: "TEST_MAX_CALLS",
  });
  host.setReady(true);
  address = `127.0.0.1:${host.port}`;
  client = new grpc.Client(address, grpc.credentials.createInsecure(), {
    "grpc.max_send_message_length": -1,
  });
});

afterAll(async () => {
  client?.close();
  await host?.shutdown(() => Promise.resolve(), 1000);
});

beforeEach(() => {
  handled.length = 0;
});

/** Sends `bytes` as the request of `method`; resolves with the reply's bytes or rejects with the status. */
function send(
  method: string,
  bytes: Buffer,
  started?: (call: grpc.ClientUnaryCall) => void,
  on: grpc.Client = client,
): Promise<Buffer> {
  return unaryCall<Buffer>((callback) => {
    const call = on.makeUnaryRequest(
      `/${SERVICE}/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      { deadline: Date.now() + 30_000 },
      callback,
    );
    started?.(call);
  });
}

async function statusOf(call: Promise<unknown>): Promise<grpc.ServiceError> {
  return call.then(
    () => expect.fail("the call succeeded"),
    (error: grpc.ServiceError) => error,
  );
}

describe("per-method request limits", () => {
  it("refuses 16 MB of answer_ids before decoding, quickly and in bounded memory; the next call succeeds", async () => {
    // Over the server-wide limit the length prefix alone refuses it; under it, the field cap does.
    const huge = submitWithAnswerIds(16 * 1024 * 1024);
    const underServerLimit = submitWithAnswerIds(SERVER_LIMIT - 64);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const overServer = await statusOf(send("SubmitJob", huge));
    expect(overServer.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(overServer.details).toMatch(/larger than max/);
    const overMethod = await statusOf(send("SubmitJob", underServerLimit));
    expect(overMethod.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(overMethod.details).toMatch(
      /SubmitJob request is \d+ bytes, over its 65536-byte limit \(the test's limit\)/,
    );
    const elapsed = performance.now() - started;
    const grownMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    console.log(
      `16 MB and 1 MB answer_ids refused in ${elapsed.toFixed(0)} ms, RSS +${grownMb.toFixed(0)} MB`,
    );
    // Decoded, 16 Mi ids were over 1 GB and seconds; the bounds leave room for a loaded machine
    // and the client's own copy of the 16 MB it sent.
    expect(elapsed).toBeLessThan(5_000);
    expect(grownMb).toBeLessThan(200);
    expect(handled).toEqual([]);
    await send("SubmitJob", submitWithAnswerIds(16));
    expect(handled).toEqual(["SubmitJob:16"]);
  });

  it("refuses a request within its byte limit whose repeated field is over its cap, as INVALID_ARGUMENT", async () => {
    const error = await statusOf(send("SubmitJob", submitWithAnswerIds(17)));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe(
      "SubmitJob request: request.answer_ids has more than 16 elements (at least 17); the limit is 16",
    );
    expect(handled).toEqual([]);
  });

  it("refuses an oversize GetJob with RESOURCE_EXHAUSTED naming the limit", async () => {
    const error = await statusOf(send("GetJob", getJob("x".repeat(2000))));
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error.details).toMatch(/^GetJob request is 2003 bytes, over its 1024-byte limit \(a job id\)$/);
    expect(handled).toEqual([]);
    expect(await send("GetJob", getJob("job-1"))).toBeInstanceOf(Buffer);
    expect(handled).toEqual(["GetJob:5"]);
  });

  it("answers malformed bytes with INVALID_ARGUMENT, not INTERNAL", async () => {
    // Field 2 with wire type 7, which does not exist (protobufjs throws on skipping it).
    const error = await statusOf(send("GetJob", Buffer.from([0x17])));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/^GetJob request is not a valid protobuf message/);
    // Found by the pre-scan: a nested message whose length runs past the end.
    const scanned = await statusOf(send("SubmitJob", Buffer.from([0x0a, 0x05, 0x32, 0x50])));
    expect(scanned.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(scanned.details).toBe(
      "SubmitJob request is not a valid protobuf message (field of 5 bytes runs past the end of the message)",
    );
    expect(handled).toEqual([]);
  });
});

describe("the call limit", () => {
  it(`refuses calls beyond ${MAX_CALLS} at once while health checks answer, and frees slots as calls end`, async () => {
    const first = send("GetJob", getJob("hold"));
    const second = send("GetJob", getJob("hold"));
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(MAX_CALLS);
    const refused = await statusOf(send("GetJob", getJob("job-2")));
    expect(refused.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused.details).toBe("the server is running its limit of 2 calls (TEST_MAX_CALLS); retry later");
    expect(await checkHealth(address, SERVICE, { timeoutMs: 5_000 })).toBe("SERVING");
    for (const release of held.splice(0)) release();
    await Promise.all([first, second]);
    // A call refused by its size limit (a status, no handler) gives its slot back.
    expect((await statusOf(send("GetJob", getJob("y".repeat(2000))))).code).toBe(
      grpc.status.RESOURCE_EXHAUSTED,
    );
    // Slots are freed when calls end, whatever ended them: a cancelled call too.
    let call: grpc.ClientUnaryCall | undefined;
    const cancelled = send("GetJob", getJob("hold"), (started) => (call = started));
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);
    call?.cancel();
    expect((await statusOf(cancelled)).code).toBe(grpc.status.CANCELLED);
    held.length = 0;
    // Both slots are free again: two calls held at once.
    const third = send("GetJob", getJob("hold"));
    const fourth = send("GetJob", getJob("hold"));
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(MAX_CALLS);
    for (const release of held.splice(0)) release();
    await Promise.all([third, fourth]);
  });
});

describe("connection limits", () => {
  let bounded: ServiceHost;
  let boundedClient: grpc.Client;

  beforeAll(async () => {
    bounded = await startHost({ ...CONNECTIONS, maxConcurrentStreams: 1, maxConnectionIdleMs: 1000 });
    boundedClient = new grpc.Client(`127.0.0.1:${bounded.port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    boundedClient?.close();
    await bounded?.shutdown(() => Promise.resolve(), 1000);
  });

  it("runs one stream at a time on a connection limited to one; the next waits for it", async () => {
    const first = send("GetJob", getJob("hold"), undefined, boundedClient);
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);
    const second = send("GetJob", getJob("job-9"), undefined, boundedClient);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(handled).toEqual(["GetJob:4"]); // the second is not started while the first is open
    held.splice(0)[0]!();
    await Promise.all([first, second]);
    expect(handled).toEqual(["GetJob:4", "GetJob:5"]);
  });

  it("closes a connection idle for longer than its limit; the client reconnects", async () => {
    await send("GetJob", getJob("job-1"), undefined, boundedClient);
    const channel = boundedClient.getChannel();
    expect(channel.getConnectivityState(false)).toBe(grpc.connectivityState.READY);
    // Idle limit 1000 ms: the server's GOAWAY moves the channel out of READY (bound: 3 × the limit).
    await expect
      .poll(() => channel.getConnectivityState(false), { timeout: 3_000, interval: 50 })
      .not.toBe(grpc.connectivityState.READY);
    await send("GetJob", getJob("job-2"), undefined, boundedClient);
  });
});

describe("refused calls in the RPC metrics", () => {
  it("counts each call an interceptor refuses in pixellm_rpc_server_handled_total, by method and code", async () => {
    // This host's handlers are bare (no handler telemetry): every count here is a refusal.
    const count = (code: string) =>
      testMetrics.count("pixellm_rpc_server_handled_total", { method: `/${SERVICE}/GetJob`, code });
    const before = { exhausted: await count("RESOURCE_EXHAUSTED"), invalid: await count("INVALID_ARGUMENT") };
    await statusOf(send("GetJob", getJob("y".repeat(2000)))); // over its byte limit
    await statusOf(send("GetJob", Buffer.from([0x17]))); // malformed
    expect(await count("RESOURCE_EXHAUSTED")).toBe(before.exhausted + 1);
    expect(await count("INVALID_ARGUMENT")).toBe(before.invalid + 1);

    const first = send("GetJob", getJob("hold"));
    const second = send("GetJob", getJob("hold"));
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(MAX_CALLS);
    expect((await statusOf(send("GetJob", getJob("job-3")))).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await count("RESOURCE_EXHAUSTED")).toBe(before.exhausted + 2); // the call limit
    for (const release of held.splice(0)) release();
    await Promise.all([first, second]);
    expect(await count("OK")).toBe(0);
  });
});

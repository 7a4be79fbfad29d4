/**
 * The LLMGenerator's life on a real gRPC server: NOT_SERVING while the model loads, a queued
 * request whose deadline passes, a client cancel that stops its sequence, and a graceful drain.
 * The server runs one sequence at a time, so a second request waits for admission.
 */
import * as grpc from "@grpc/grpc-js";
import { retryAfterOf, services } from "@pixellm/api";
import { QUEUE_FULL_RETRY_AFTER_MS } from "@pixellm/errors";
import { LIVENESS, type StageProcess, checkHealth } from "@pixellm/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../../test/support/eventually";
import {
  type Reference,
  type RunningLlm,
  collect,
  generateRequest,
  makeReference,
  start,
  testStage,
} from "./fixture";

let ref: Reference;

beforeAll(async () => {
  ref = await makeReference();
});

afterAll(async () => {
  await ref?.engine.close();
});

/** A sequence long enough to keep the single batch row busy for the whole test. */
const long = () => generateRequest(ref.prompts[0]!, ref.manifest, { maxNewTokens: 1500, ignoreEos: true });

/** Starts a stream and resolves once its first token arrived. */
function startStreaming(server: RunningLlm, request = long()) {
  const call = server.client.Generate(request);
  const tokens: number[] = [];
  const first = new Promise<void>((resolve) =>
    call.on("data", (m: { tokens?: { ids: number[] } | null }) => {
      tokens.push(...(m.tokens?.ids ?? []));
      resolve();
    }),
  );
  const outcome = collect(call).then(
    () => null,
    (error: grpc.ServiceError) => error,
  );
  return { call, tokens, first, outcome };
}

describe("LLMGenerator start-up", () => {
  it("is NOT_SERVING (but live) while the model loads, and SERVING once it is warm", async () => {
    const stage = testStage(ref.bundleDir);
    let release = () => {};
    const loading = new Promise<void>((resolve) => (release = resolve));
    const held: StageProcess = { ...stage, load: (logger) => loading.then(() => stage.load(logger)) };
    let listening = (_port: number) => {};
    const bound = new Promise<number>((resolve) => (listening = resolve));
    const starting = start(held, { onListening: (port) => listening(port) });

    const target = `127.0.0.1:${await bound}`;
    expect(await checkHealth(target, "")).toBe("NOT_SERVING");
    expect(await checkHealth(target, "pixellm.v1.LLMGenerator")).toBe("NOT_SERVING");
    expect(await checkHealth(target, LIVENESS)).toBe("SERVING");
    const client = new (services().LLMGenerator)(target, grpc.credentials.createInsecure());
    await expect(collect(client.Generate(long()))).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
    });
    client.close();

    release();
    const server = await starting;
    expect(await checkHealth(target, "")).toBe("SERVING");
    await server.stop();
  });
});

describe("LLMGenerator admission", () => {
  it("refuses requests beyond LLM_MAX_QUEUE with RESOURCE_EXHAUSTED and a retry pushback, and counts them", async () => {
    const server = await start(testStage(ref.bundleDir, { LLM_MAX_BATCH_SIZE: "1", LLM_MAX_QUEUE: "1" }));
    const busy = startStreaming(server);
    await busy.first;
    const queued = startStreaming(server);
    await eventually(server.info, (info) => info.stats?.queued === 1);
    const refusal = await server.generate(long()).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    // The trailer that tells the gateway this is load, not the request (it waits and calls again).
    expect(retryAfterOf(refusal)).toBe(QUEUE_FULL_RETRY_AFTER_MS);
    expect((await server.info()).stats).toMatchObject({ rejected: 1, queued: 1, running: 1 });
    busy.call.cancel();
    queued.call.cancel();
    await Promise.all([busy.outcome, queued.outcome]);
    await server.stop();
  });
});

describe("LLMGenerator deadlines, cancellation and drain", () => {
  let server: RunningLlm;

  beforeAll(async () => {
    server = await start(testStage(ref.bundleDir, { LLM_MAX_BATCH_SIZE: "1" }));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("fails a request whose deadline passes while it waits, without prefilling it", async () => {
    const busy = startStreaming(server);
    await busy.first;
    await expect(
      server.generate(generateRequest(ref.prompts[1]!, ref.manifest), { deadline: Date.now() + 300 }),
    ).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    const { stats } = await eventually(server.info, (info) => info.stats?.deadlineExceeded === 1);
    expect(stats).toMatchObject({ deadlineExceeded: 1, prefillItems: 1, queued: 0, running: 1 });
    busy.call.cancel();
    expect(await busy.outcome).toMatchObject({ code: grpc.status.CANCELLED });
    await eventually(server.info, (info) => info.stats?.running === 0);
  });

  it("stops a running sequence at the first step boundary past its deadline", async () => {
    const before = (await server.info()).stats!;
    await expect(server.generate(long(), { deadline: Date.now() + 300 })).rejects.toMatchObject({
      code: grpc.status.DEADLINE_EXCEEDED,
    });
    const { stats } = await eventually(server.info, (info) => info.stats?.running === 0);
    expect(stats).toMatchObject({ deadlineExceeded: before.deadlineExceeded + 1, running: 0, queued: 0 });
    expect(stats!.items - before.items).toBeLessThan(1500);
  });

  it("stops a sequence whose client cancels the stream", async () => {
    const before = (await server.info()).stats!;
    const streaming = startStreaming(server);
    await streaming.first;
    streaming.call.cancel();
    expect(await streaming.outcome).toMatchObject({ code: grpc.status.CANCELLED });
    const { stats } = await eventually(
      server.info,
      (info) => info.stats?.cancelled === before.cancelled + 1 && info.stats.running === 0,
    );
    expect(stats).toMatchObject({ cancelled: before.cancelled + 1, running: 0, queued: 0 });
    // No more decode steps once it is gone.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await server.info()).stats?.batches).toBe(stats!.batches);
    expect(stats!.items - before.items).toBeLessThan(1500);
  });

  it("drains on stop: accepted streams complete, new ones are UNAVAILABLE", async () => {
    const request = generateRequest(ref.prompts[2]!, ref.manifest, { maxNewTokens: 30, ignoreEos: true });
    const running = startStreaming(server, { ...request, maxNewTokens: 300 });
    await running.first;
    const waiting = server.generate(request);
    await eventually(server.info, (info) => info.stats?.queued === 1);
    const stopping = server.stop();
    await expect(server.generate(request)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(await running.outcome).toBeNull();
    expect(running.tokens).toHaveLength(300);
    const { done } = await waiting;
    expect(done).toMatchObject({ finishReason: "FINISH_REASON_LENGTH" });
    expect(done.outputIds).toHaveLength(30);
    await stopping;
  });
});

/**
 * The PixelDecoder's life on a real gRPC server: NOT_SERVING while the model loads, deadlines
 * and cancellations that cost no compute, and a graceful drain on stop.
 */
import * as grpc from "@grpc/grpc-js";
import { type DecodeResponse__Output, services } from "@pixellm/api";
import { type BundleManifest, loadBundle } from "@pixellm/bundle";
import type { DecodeInput } from "@pixellm/engine";
import { LIVENESS, type StageProcess, checkHealth, unaryCall } from "@pixellm/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTinyBundle } from "../../../test/support/tiny-bundle";
import { eventually } from "../../../test/support/eventually";
import { type RunningDecoder, decodeRequest, start, syntheticInput, testStage } from "./fixture";

let bundleDir: string;
let manifest: BundleManifest;
let input: DecodeInput;

beforeAll(async () => {
  ({ bundleDir } = await makeTinyBundle({ seed: 11 }));
  manifest = (await loadBundle(bundleDir, "size")).manifest;
  input = syntheticInput(manifest);
});

describe("PixelDecoder start-up", () => {
  it("is NOT_SERVING (but live) while the model loads, and SERVING once it is warm", async () => {
    const stage = testStage(bundleDir);
    let release = () => {};
    const loading = new Promise<void>((resolve) => (release = resolve));
    const held: StageProcess = { ...stage, load: (logger) => loading.then(() => stage.load(logger)) };
    let listening = (_port: number) => {};
    const bound = new Promise<number>((resolve) => (listening = resolve));
    const starting = start(held, { onListening: (port) => listening(port) });

    const target = `127.0.0.1:${await bound}`;
    expect(await checkHealth(target, "")).toBe("NOT_SERVING");
    expect(await checkHealth(target, "pixellm.v1.PixelDecoder")).toBe("NOT_SERVING");
    expect(await checkHealth(target, LIVENESS)).toBe("SERVING");
    const client = new (services().PixelDecoder)(target, grpc.credentials.createInsecure());
    await expect(
      unaryCall<DecodeResponse__Output>((done) => client.Decode(decodeRequest(input), done)),
    ).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
    client.close();

    release();
    const server = await starting;
    expect(await checkHealth(target, "")).toBe("SERVING");
    expect(await checkHealth(target, "pixellm.v1.PixelDecoder")).toBe("SERVING");
    await server.stop();
  });
});

describe("PixelDecoder deadlines, cancellation and drain", () => {
  let server: RunningDecoder;

  beforeAll(async () => {
    // A long batch delay keeps requests queued long enough to expire, cancel or drain them.
    server = await start(testStage(bundleDir, { DECODER_MAX_BATCH_DELAY_MS: "1000" }));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("fails a request whose deadline passes in the queue without running the graph", async () => {
    await expect(server.decode(decodeRequest(input), { deadline: Date.now() + 200 })).rejects.toMatchObject({
      code: grpc.status.DEADLINE_EXCEEDED,
    });
    const { stats } = await eventually(server.info, (info) => info.stats?.deadlineExceeded === 1);
    expect(stats).toMatchObject({ deadlineExceeded: 1, batches: 0, items: 0, queued: 0 });
  });

  it("takes a cancelled request out of the queue before it costs compute", async () => {
    const outcome = new Promise<grpc.ServiceError | null>((resolve) => {
      const call = server.client.Decode(decodeRequest(input), (error) => resolve(error));
      setTimeout(() => call.cancel(), 100);
    });
    expect(await outcome).toMatchObject({ code: grpc.status.CANCELLED });
    const { stats } = await eventually(server.info, (info) => info.stats?.cancelled === 1);
    expect(stats).toMatchObject({ cancelled: 1, batches: 0, items: 0, queued: 0 });
  });

  it("drains on stop: accepted requests complete, new ones are UNAVAILABLE", async () => {
    const accepted = Array.from({ length: 3 }, () => server.decode(decodeRequest(input)));
    await eventually(server.info, (info) => info.stats?.queued === 3);
    const stopping = server.stop();
    await expect(server.decode(decodeRequest(input))).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
    for (const reply of await Promise.all(accepted)) expect(reply.masks).toHaveLength(1);
    await stopping;
  });
});

/**
 * What counts towards a poison job: a replica that is merely not reachable does not (real gRPC to
 * a port nothing listens on), and a job's stage crashes are counted in the job's own state, by
 * stage, across executions and across gateways (two BullJobQueues on one Redis prefix, as two
 * gateways are) and in the in-memory queue.
 */
import { createServer } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { type PixelDecoderClient, services, statusOf } from "@pixellm/api";
import { createLogger } from "@pixellm/service-kit";
import { afterAll, describe, expect, it } from "vitest";
import { openBullQueue } from "./redis-queue";
import { JobFailureError, type ProcessContext } from "../src/queue/job-queue";
import { MemoryJobQueue } from "../src/queue/memory-job-queue";
import { RedisKeys } from "../src/redis-keys";
import { ReplicaPool } from "../src/stages/replica-pool";
import { isMidCallDrop } from "../src/stages/stage-crash";
import { jobData } from "./job-data";

const logger = createLogger({ service: "test", level: "error" });
const closing: (() => Promise<void>)[] = [];

afterAll(async () => {
  await Promise.all(closing.map((close) => close()));
});

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A failure that the queue retries. */
const retryable = () =>
  new JobFailureError({ code: grpc.status.UNAVAILABLE, message: "crashed", retryable: true });

describe("a replica that is down", () => {
  it("fails UNAVAILABLE without counting a crash against the job", async () => {
    const pool = new ReplicaPool<PixelDecoderClient>(
      [`127.0.0.1:${await closedPort()}`],
      (target, options) => new (services().PixelDecoder)(target, grpc.credentials.createInsecure(), options),
      {
        stage: "decoder",
        serviceName: "pixellm.v1.PixelDecoder",
        healthIntervalMs: 60_000,
        attempts: 3,
        channelOptions: {},
        credentials: grpc.credentials.createInsecure(),
        logger,
      },
    );
    await pool.start();
    closing.push(() => Promise.resolve(pool.close()));
    const crashes: string[] = [];
    const raw: unknown[] = [];
    const error = await pool
      .call(
        (client) =>
          new Promise((resolve, reject) =>
            client.Info({}, { deadline: Date.now() + 10_000 }, (e, response) => {
              if (e) {
                raw.push(e);
                reject(e);
              } else resolve(response);
            }),
          ),
        {
          requestId: "r",
          deadline: Date.now() + 10_000,
          signal: new AbortController().signal,
          recordCrash: (stage) => {
            crashes.push(stage);
            return Promise.resolve(crashes.length);
          },
        },
      )
      .catch((e: unknown) => e);
    expect(statusOf(error).code).toBe(grpc.status.UNAVAILABLE);
    expect(statusOf(error).message).toContain("no decoder replica could take the request");
    expect(raw).toHaveLength(1);
    expect(isMidCallDrop(raw[0])).toBe(false);
    expect(crashes).toEqual([]);
  });
});

describe("a job's stage crashes", () => {
  it("are counted per stage across the executions of a job in the in-memory queue", async () => {
    const queue = new MemoryJobQueue({ attempts: 2, backoffMs: 10, resultTtlSeconds: 60 });
    closing.push(() => queue.close(1000));
    const seen: number[] = [];
    queue.work(async (_data, job) => {
      seen.push(await job.recordCrash("decoder"));
      if (job.attempt === 1) seen.push(await job.recordCrash("llm"));
      throw retryable();
    }, 1);
    await queue.add(jobData(), { id: "memory-job", priority: 0 });
    while ((await queue.get("memory-job"))?.state !== "failed") await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([1, 1, 2]);
  });

  it("are counted in Redis, so every gateway's execution of a job sees the same count", async () => {
    const keys = new RedisKeys(`test-stage-crash-${process.pid}-${Date.now()}`);
    const open = () => openBullQueue(keys, { attempts: 4, backoffMs: 10 });
    const [first, second] = [await open(), await open()];
    closing.push(
      () => first.close(1000),
      () => second.close(1000),
    );
    const seen: { gateway: string; attempt: number; crashes: number }[] = [];
    const crashing = (gateway: string) => async (_data: unknown, job: ProcessContext) => {
      seen.push({ gateway, attempt: job.attempt, crashes: await job.recordCrash("decoder") });
      throw retryable();
    };
    // The first execution runs on one gateway, which then stops; the others run on the second.
    first.work(crashing("first"), 1);
    await first.add(jobData(), { id: "bull-job", priority: 0 });
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
    await first.close(1000);
    second.work(crashing("second"), 1);
    while ((await second.get("bull-job"))?.state !== "failed") await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([
      { gateway: "first", attempt: 1, crashes: 1 },
      { gateway: "second", attempt: 2, crashes: 2 },
      { gateway: "second", attempt: 3, crashes: 3 },
      { gateway: "second", attempt: 4, crashes: 4 },
    ]);
  });
});

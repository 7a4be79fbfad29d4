/**
 * Poison jobs, with real processes: a request whose decoder process dies (kill -9, as the kernel's
 * OOM killer would) while the request is in it is retried on another replica once; when that one
 * dies too, the job fails INTERNAL "crashed the decoder stage twice", is not retried by the
 * queue, and the third replica never sees it. A replica that is merely down is still skipped
 * without counting against anyone.
 */
import { status } from "@grpc/grpc-js";
import type { Job__Output } from "@pixellm/api";
import { loadBundle } from "@pixellm/bundle";
import { PixelLMClient } from "@pixellm/client";
import { RedisKeys } from "@pixellm/gateway";
import { type ManagedProcess, stageInfo } from "@pixellm/launcher";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_URL, type TestDeployment, startTestDeployment } from "../support/deployment";
import { shapesImage } from "../support/images";

let env: TestDeployment;
let client: PixelLMClient;
let redis: Redis;

beforeAll(async () => {
  env = await startTestDeployment({ replicas: { vision: 1, llm: 1, decoder: 3 }, gateways: 1 });
  client = new PixelLMClient(env.deployment.gatewayAddresses[0]!);
  redis = new Redis(REDIS_URL);
}, 240_000);

afterAll(async () => {
  client?.close();
  redis?.disconnect();
  await env?.deployment.stop();
});

/** Whether a decoder replica has a request queued or running (its own Info). */
async function busy(replica: ManagedProcess): Promise<boolean> {
  const stats = (await stageInfo(replica)).stats;
  return Number(stats?.running ?? 0) + Number(stats?.queued ?? 0) > 0;
}

async function finished(jobId: string, timeoutMs: number): Promise<Job__Output> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = await client.getJob(jobId);
    if (["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"].includes(job.state)) return job;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${job.state}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("poison jobs", () => {
  it(
    "a request that crashes two decoder replicas fails INTERNAL, unretried; the third replica survives",
    { timeout: 300_000 },
    async () => {
      const { seg } = (await loadBundle(env.tiny.bundleDir, "size")).manifest.tokens;
      // 48 targets at 2048x1536: seconds of decoding, long enough to be caught in a replica.
      const answerIds = Array.from({ length: 48 }, () => [...seg]).flat();
      const image = await shapesImage(2048, 1536);
      const job = await client.submitJob(
        { image, query: "Segment everything.", answerIds },
        { deadlineUnixMs: Date.now() + 240_000 },
      );

      // Each replica the request reaches dies with it in flight.
      const decoders = env.deployment.byRole("pixel-decoder");
      const killed: ManagedProcess[] = [];
      const until = Date.now() + 180_000;
      while (killed.length < 2 && Date.now() < until) {
        for (const replica of decoders.filter((d) => !killed.includes(d))) {
          if (await busy(replica)) {
            replica.kill("SIGKILL");
            await replica.exited;
            killed.push(replica);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(killed).toHaveLength(2);

      const failed = await finished(job.jobId, 60_000);
      expect(failed.state).toBe("JOB_STATE_FAILED");
      expect(failed.error?.code).toBe(status.INTERNAL);
      expect(failed.error?.message).toBe(
        "the request crashed the decoder stage twice (its process died with the call in flight); not retried",
      );
      expect(failed.error?.retryable).toBe(false);
      expect(failed.attempts, "the queue did not run it again").toBe(1);
      const keys = new RedisKeys(env.keyPrefix);
      expect(await redis.get(keys.stageCrashes(job.jobId, "decoder"))).toBe("2");

      // The replica the request never reached is alive, never saw it, and serves what comes next.
      const survivor = decoders.find((d) => !killed.includes(d))!;
      expect(Number((await stageInfo(survivor)).stats?.items ?? -1)).toBe(0);
      const next = await client.segment(
        { image: await shapesImage(300, 200), query: "Where is the ball?", answerIds: [...seg] },
        { timeoutMs: 60_000 },
      );
      expect(next.targets).toHaveLength(1);
      expect(Number((await stageInfo(survivor)).stats?.items ?? 0)).toBe(1);
      // Tried or skipped, the two dead replicas counted no crash against that request's job.
      const crashKeys = await redis.keys(`${env.keyPrefix}:crashes:*`);
      expect(crashKeys).toEqual([keys.stageCrashes(job.jobId, "decoder")]);
    },
  );
});

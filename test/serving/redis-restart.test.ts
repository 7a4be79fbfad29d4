/**
 * The durable-state contract with a real Redis killed mid-load. A gateway (redis mode, one
 * replica per stage on loopback) works through a batch of async jobs and sync calls on a Redis of the test's
 * own, with the append-only file fsynced on every write; Redis is killed with SIGKILL while
 * jobs run and wait, then restarted from its AOF on the same port. Every job finishes, and
 * finishes once (one BullMQ completion each). A Redis without AOF is flagged by the gateway's
 * start-up check: refused by default, a warning with GATEWAY_REDIS_CHECK=warn. A job that vanishes
 * (a restart without AOF) ends UNAVAILABLE for its sync caller; results are stored once and
 * checkpoints within their caps.
 */
import { status } from "@grpc/grpc-js";
import { PixelLMClient } from "@pixellm/client";
import { type RunningGateway, gatewayConfig, startGateway } from "@pixellm/gateway";
import { LocalDeployment, RedisServer } from "@pixellm/launcher";
import { createLogger } from "@pixellm/service-kit";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shapesImage } from "../support/images";
import { type TinyBundle, makeTinyBundle, tempDir } from "../support/tiny-bundle";

const JOBS = 12;
const KEY_PREFIX = "durable";

let tiny: TinyBundle;
let stages: LocalDeployment;
let durable: RedisServer;
const servers: RedisServer[] = [];
const gateways: RunningGateway[] = [];

beforeAll(async () => {
  tiny = await makeTinyBundle();
  durable = await RedisServer.start({ appendfsync: "always" });
  servers.push(durable);
  stages = await LocalDeployment.start({
    bundle: tiny.bundleDir,
    redisUrl: durable.url,
    keyPrefix: KEY_PREFIX,
    replicas: { vision: 1, llm: 1, decoder: 1 },
    gateways: 0,
    env: { PIXELLM_INTRA_OP_THREADS: "1", PIXELLM_LOG_LEVEL: "warn" },
    logs: { kind: "directory", dir: await tempDir("redis-restart-logs") },
  });
}, 240_000);

afterAll(async () => {
  for (const gateway of gateways) await gateway.stop();
  await stages?.stop();
  for (const server of servers) await server.stop();
});

/** A gateway in redis mode on `redisUrl`, in front of the test's stage replicas. */
function gateway(redisUrl: string, settings: Record<string, string> = {}, lines: string[] = []) {
  const addresses = (role: "vision-encoder" | "llm" | "pixel-decoder") =>
    stages
      .byRole(role)
      .map((p) => p.address)
      .join(",");
  return startGateway(
    gatewayConfig({
      PIXELLM_BUNDLE: tiny.bundleDir,
      GATEWAY_MODE: "redis",
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: "0",
      REDIS_URL: redisUrl,
      PIXELLM_KEY_PREFIX: KEY_PREFIX,
      VISION_ADDRESSES: addresses("vision-encoder"),
      LLM_ADDRESSES: addresses("llm"),
      DECODER_ADDRESSES: addresses("pixel-decoder"),
      GATEWAY_HEALTH_INTERVAL_MS: "500",
      PIXELLM_SHUTDOWN_GRACE_MS: "2000",
      ...settings,
    }),
    createLogger({ service: "gateway", level: "warn", write: (line) => lines.push(line) }),
  ).then((running) => {
    gateways.push(running);
    return running;
  });
}

describe("Redis killed mid-load", () => {
  it("restarted from its AOF: every queued and running job finishes, each exactly once", async () => {
    const running = await gateway(durable.url, {
      // Two at a time, so that jobs are both running and queued when Redis dies.
      GATEWAY_WORKER_CONCURRENCY: "2",
      GATEWAY_LOCK_DURATION_MS: "5000",
      GATEWAY_STALLED_INTERVAL_MS: "1000",
      GATEWAY_RETRY_BACKOFF_MS: "200",
    });
    const client = new PixelLMClient(`127.0.0.1:${running.port}`);
    try {
      const images = await Promise.all(
        Array.from({ length: JOBS }, (_, i) => shapesImage(200 + 8 * i, 160, "png", i)),
      );
      const ids: string[] = [];
      for (const image of images)
        ids.push((await client.submitJob({ image, query: "Please segment the red ball." })).jobId);
      // Sync callers wait through the outage too (their calls are jobs, queued behind the batch).
      const syncCalls = images
        .slice(0, 3)
        .map((image) => client.segment({ image, query: "Where is the blue box?" }, { timeoutMs: 60_000 }));

      // Kill once every job is accepted (the sync calls' too), some run and more wait.
      const bull = new Queue("jobs", { connection: { url: durable.url }, prefix: KEY_PREFIX });
      let states: string[] = [];
      for (const until = Date.now() + 30_000; Date.now() < until;) {
        const accepted = Object.values(await bull.getJobCounts()).reduce((a, b) => a + b, 0);
        states = await Promise.all(ids.map(async (id) => (await client.getJob(id)).state));
        const queued = states.filter((s) => s === "JOB_STATE_QUEUED").length;
        if (accepted >= JOBS + syncCalls.length && states.includes("JOB_STATE_RUNNING") && queued >= 3) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await bull.close();
      const atKill = {
        running: states.filter((s) => s === "JOB_STATE_RUNNING").length,
        queued: states.filter((s) => s === "JOB_STATE_QUEUED").length,
      };
      await durable.kill9();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await durable.restart();

      const ends = await Promise.all(
        ids.map(async (id) => {
          let last: Awaited<ReturnType<PixelLMClient["getJob"]>> | undefined;
          for await (const update of client.watchJob(id, { timeoutMs: 60_000 })) last = update;
          return last!;
        }),
      );
      const syncResponses = await Promise.all(syncCalls);
      const redis = new Redis(durable.url);
      const events = await redis.xrange(`${KEY_PREFIX}:jobs:events`, "-", "+");
      redis.disconnect();
      const completions = new Map<string, number>();
      for (const [, fields] of events) {
        const field = (name: string) => fields[fields.indexOf(name) + 1];
        if (field("event") === "completed")
          completions.set(field("jobId")!, (completions.get(field("jobId")!) ?? 0) + 1);
      }
      const lost = ends.filter((job) => job.state !== "JOB_STATE_SUCCEEDED").length;
      const duplicated = ids.filter((id) => (completions.get(id) ?? 0) > 1).length;
      console.log(
        `redis kill -9 with ${atKill.running} running and ${atKill.queued} queued of ${JOBS}: ` +
          `${JOBS - lost} finished, ${lost} lost, ${duplicated} duplicated, ${syncResponses.length} sync calls answered; attempts ${ends.map((j) => j.attempts).join(",")}`,
      );
      expect(atKill.running).toBeGreaterThan(0);
      expect(atKill.queued).toBeGreaterThanOrEqual(3);
      expect(ends.map((job) => job.state)).toEqual(ids.map(() => "JOB_STATE_SUCCEEDED"));
      for (const job of ends) expect(job.result?.jobId).toBe(job.jobId);
      expect(ids.map((id) => completions.get(id))).toEqual(ids.map(() => 1));
      for (const response of syncResponses) expect(completions.get(response.jobId)).toBe(1);
    } finally {
      client.close();
    }
  }, 120_000);
});

describe("Redis restarted without its data", () => {
  it("a sync call whose job vanished ends UNAVAILABLE (retryable), saying to submit it again", async () => {
    const volatile = await RedisServer.start({ appendonly: false });
    servers.push(volatile);
    // One job at a time: the others wait in Redis when it loses them.
    const running = await gateway(volatile.url, {
      GATEWAY_REDIS_CHECK: "warn",
      GATEWAY_WORKER_CONCURRENCY: "1",
    });
    const client = new PixelLMClient(`127.0.0.1:${running.port}`);
    const redis = new Redis(volatile.url);
    redis.on("error", () => undefined);
    try {
      const images = await Promise.all(
        Array.from({ length: 4 }, (_, i) => shapesImage(240, 180, "png", 50 + i)),
      );
      const calls = images.map((image) =>
        client.segment({ image, query: "Please segment the red ball." }, { timeoutMs: 60_000 }).then(
          () => ({ code: 0, details: "" }),
          (error: { code: number; details: string }) => ({ code: error.code, details: error.details }),
        ),
      );
      for (const until = Date.now() + 30_000; Date.now() < until;) {
        if ((await redis.zcard(`${KEY_PREFIX}:jobs:prioritized`)) >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await volatile.kill9();
      await volatile.restart(); // empty: nothing was persisted
      const outcomes = await Promise.all(calls);
      const vanished = outcomes.filter((o) => o.code === Number(status.UNAVAILABLE));
      expect(vanished.length).toBeGreaterThanOrEqual(2);
      for (const outcome of vanished)
        expect(outcome.details).toMatch(/lost by the job store.*submit it again/);
      // Every call either finished before the loss or heard it was lost: none ran into its deadline.
      expect(outcomes.filter((o) => o.code !== 0 && o.code !== Number(status.UNAVAILABLE))).toEqual([]);
    } finally {
      redis.disconnect();
      client.close();
    }
  }, 90_000);
});

describe("Redis memory", () => {
  /** The sizes in bytes of the values under the keys matching `pattern`. */
  async function sizes(redis: Redis, pattern: string): Promise<number[]> {
    const keys = await redis.keys(pattern);
    return Promise.all(keys.map((key) => redis.strlen(key)));
  }

  it("stores a result once (not in the event stream), and checkpoints within their caps", async () => {
    const image = await shapesImage(320, 240, "png", 77);
    const query = { image, query: "Please segment the red ball." };
    const run = async (settings: Record<string, string>) => {
      const server = await RedisServer.start();
      servers.push(server);
      const running = await gateway(server.url, settings);
      const client = new PixelLMClient(`127.0.0.1:${running.port}`);
      const redis = new Redis(server.url);
      try {
        const response = await client.segment(query, { timeoutMs: 60_000 });
        await new Promise((resolve) => setTimeout(resolve, 200)); // checkpoints are stored in the background
        return {
          response,
          vision: await sizes(redis, `${KEY_PREFIX}:ckpt:vision:*`),
          llm: await sizes(redis, `${KEY_PREFIX}:ckpt:llm:*`),
          ledgerTotal: Number(await redis.hget(`${KEY_PREFIX}:ckpt-sizes`, "")),
          result: await redis.get(`${KEY_PREFIX}:result:${response.jobId}`),
          stream: JSON.stringify(await redis.xrange(`${KEY_PREFIX}:jobs:events`, "-", "+")),
        };
      } finally {
        redis.disconnect();
        client.close();
      }
    };

    const stored = await run({});
    expect(stored.response.targets.length).toBeGreaterThan(0);
    const counts = stored.response.targets[0]!.mask!.counts;
    expect(counts.length).toBeGreaterThan(8);
    expect(stored.result).toContain(JSON.stringify(counts));
    expect(stored.stream).toContain("completed");
    expect(stored.stream).not.toContain(counts);
    expect(stored.vision).toHaveLength(1);
    expect(stored.llm).toHaveLength(1);
    expect(stored.ledgerTotal).toBe(stored.vision[0]! + stored.llm[0]!);

    // Checkpoints over the cap are not stored (half the smallest: a checkpoint's metadata, e.g.
    // its timings, varies by a few bytes between runs); the job still succeeds.
    const capped = await run({
      GATEWAY_MAX_CHECKPOINT_BYTES: String(Math.floor(Math.min(...stored.vision, ...stored.llm) / 2)),
    });
    expect(capped.response.targets.length).toBe(stored.response.targets.length);
    expect([capped.vision, capped.llm]).toEqual([[], []]);
  }, 90_000);
});

describe("the start-up check of Redis", () => {
  it("refuses a Redis without AOF by default, and names the setting to fix", async () => {
    const volatile = await RedisServer.start({ appendonly: false });
    servers.push(volatile);
    await expect(gateway(volatile.url)).rejects.toThrow(/appendonly is no.*set appendonly yes/s);
  });

  it("refuses a Redis that evicts keys, whatever its persistence", async () => {
    const evicting = await RedisServer.start({ extraArgs: ["--maxmemory-policy", "allkeys-lru"] });
    servers.push(evicting);
    await expect(gateway(evicting.url)).rejects.toThrow(
      /maxmemory-policy is allkeys-lru: BullMQ needs noeviction/,
    );
  });

  it("with GATEWAY_REDIS_CHECK=warn, starts on a Redis without AOF and warns", async () => {
    const volatile = await RedisServer.start({ appendonly: false });
    servers.push(volatile);
    const lines: string[] = [];
    await gateway(volatile.url, { GATEWAY_REDIS_CHECK: "warn" }, lines);
    const warnings = lines.map(
      (line) => JSON.parse(line) as { level: string; msg: string; problem?: string },
    );
    const warning = warnings.find((line) => line.msg === "redis is not safe for the job queue");
    expect(warning?.level).toBe("warn");
    expect(warning?.problem).toMatch(/^appendonly is no/);
  });
});

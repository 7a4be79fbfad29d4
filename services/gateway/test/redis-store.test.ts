/**
 * The gateway's durable-state pieces on real Redis: blob time-to-live only ever extends (a later
 * job cannot cut short an image an earlier one needs), a held image goes with its last holder,
 * checkpoints stay within their byte budget,
 * the start-up check reads Redis's settings (and warns, with the reason, where CONFIG is
 * disabled), and the job store's errors reach callers as UNAVAILABLE with a clean message.
 */
import { status } from "@grpc/grpc-js";
import { statusOf } from "@pixellm/api";
import { createLogger } from "@pixellm/service-kit";
import { Redis } from "ioredis";
import { RedisServer } from "@pixellm/launcher";
import { afterAll, describe, expect, it } from "vitest";
import { failureOf } from "../src/queue/job-failure";
import { type BlobStore, MemoryBlobStore, RedisBlobStore, holdersKey } from "../src/store/blob-store";
import { checkRedis, redisProblems } from "../src/store/redis-check";
import { redisOptions } from "../src/store/redis-connection";
import { REDIS_URL, uniqueKeys } from "./redis-queue";

const redis = new Redis(REDIS_URL);
const servers: RedisServer[] = [];
afterAll(async () => {
  redis.disconnect();
  for (const server of servers) await server.stop();
});

const BUDGET = 1000;

function store(kind: "Redis" | "memory"): BlobStore {
  const keys = uniqueKeys("blob-budget");
  return kind === "memory"
    ? new MemoryBlobStore(BUDGET)
    : new RedisBlobStore(redis, {
        ledger: keys.checkpointLedger,
        sizes: keys.checkpointSizes,
        budgetBytes: BUDGET,
      });
}

describe.each(["Redis", "memory"] as const)("the %s blob store", (name) => {
  const blobs = store(name);
  const keys = uniqueKeys("blob-keys");

  it("keeps the longer time to live when a value is stored again with a shorter one", async () => {
    const key = keys.image(`extend-${name}`);
    await blobs.setHeld(key, Buffer.from("image"), 2, "job-a");
    await blobs.setHeld(key, Buffer.from("image"), 1, "job-b"); // a later job with an earlier deadline
    if (name === "Redis") expect(await redis.pttl(key)).toBeGreaterThan(1500); // 2 s less the test's own time
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await blobs.get(key))?.toString()).toBe("image");
    await blobs.setHeld(key, Buffer.from("image"), 5, "job-c"); // a longer one extends
    if (name === "Redis") expect(await redis.pttl(key)).toBeGreaterThan(4000);
  });

  it("stores checkpoints within the budget and refuses what would exceed it until some expire", async () => {
    const big = new Uint8Array(600);
    expect(await blobs.setWithinBudget(keys.checkpoint("vision", `1-${name}`), big, 1)).toBe(true);
    // 600 + 600 > 1000: not stored.
    expect(await blobs.setWithinBudget(keys.checkpoint("vision", `2-${name}`), big, 60)).toBe(false);
    expect(await blobs.get(keys.checkpoint("vision", `2-${name}`))).toBeUndefined();
    // The same value again only extends (no second charge).
    expect(await blobs.setWithinBudget(keys.checkpoint("vision", `1-${name}`), big, 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await blobs.setWithinBudget(keys.checkpoint("vision", `2-${name}`), big, 60)).toBe(true);
    expect((await blobs.get(keys.checkpoint("vision", `2-${name}`)))?.byteLength).toBe(600);
  });

  it("keeps a held image until its last holder releases it, and only a holder's release counts", async () => {
    const key = keys.image(`held-${name}`);
    await blobs.setHeld(key, Buffer.from("image"), 60, "job-a");
    await blobs.setHeld(key, Buffer.from("image"), 1, "job-b"); // same image, shorter deadline
    if (name === "Redis") {
      // The value keeps the longer life; its holders live as long as it does.
      expect(await redis.pttl(key)).toBeGreaterThan(55_000);
      expect(await redis.pttl(holdersKey(key))).toBeGreaterThan(55_000);
    }
    expect(await blobs.release(key, "job-c")).toBe(false); // never held it
    expect(await blobs.release(key, "job-a")).toBe(false); // job-b still needs it
    expect((await blobs.get(key))?.toString()).toBe("image");
    expect(await blobs.release(key, "job-a")).toBe(false); // released twice: no effect
    expect(await blobs.release(key, "job-b")).toBe(true);
    expect(await blobs.get(key)).toBeUndefined();
    if (name === "Redis") expect(await redis.exists(holdersKey(key))).toBe(0);

    // Admitted again after it went (a resubmission): held anew.
    await blobs.setHeld(key, Buffer.from("image"), 60, "job-d");
    expect((await blobs.get(key))?.toString()).toBe("image");
    expect(await blobs.release(key, "job-d")).toBe(true);
  });
});

it("leaves an image stored without holders (by a gateway before holders) to its time to live", async () => {
  const blobs = store("Redis");
  const key = uniqueKeys("blob-keys").image("unheld");
  await redis.set(key, "image", "EX", 60);
  expect(await blobs.release(key, "job-a")).toBe(false);
  expect((await blobs.get(key))?.toString()).toBe("image");
});

describe("the start-up check of Redis", () => {
  it("names each unsafe setting and its fix", () => {
    expect(
      redisProblems({ appendonly: "yes", appendfsync: "everysec", maxmemoryPolicy: "noeviction" }),
    ).toEqual([]);
    expect(
      redisProblems({ appendonly: "yes", appendfsync: "always", maxmemoryPolicy: "noeviction" }),
    ).toEqual([]);
    const problems = redisProblems({ appendonly: "yes", appendfsync: "no", maxmemoryPolicy: "volatile-lru" });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/maxmemory-policy is volatile-lru.*set maxmemory-policy noeviction/);
    expect(problems[1]).toMatch(/appendfsync is no.*set appendfsync everysec/);
  });

  it("warns with the reason and lets the gateway start where CONFIG is disabled (managed Redis)", async () => {
    const managed = await RedisServer.start({
      appendonly: false,
      extraArgs: ["--rename-command", "CONFIG", ""],
    });
    servers.push(managed);
    const client = new Redis(managed.url);
    const lines: string[] = [];
    const logger = createLogger({ service: "test", level: "warn", write: (line) => lines.push(line) });
    try {
      await expect(checkRedis(client, "refuse", logger)).resolves.toEqual([]);
    } finally {
      client.disconnect();
    }
    const warning = JSON.parse(lines[0]!) as { msg: string; reason: string };
    expect(warning.msg).toMatch(/CONFIG GET is not allowed/);
    expect(warning.reason).toMatch(/unknown command/i);
  });

  it("fails, rather than excusing it, when Redis cannot be reached", async () => {
    const gone = await RedisServer.start();
    await gone.stop();
    const client = new Redis(gone.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => undefined);
    const logger = createLogger({ service: "test", level: "error", write: () => undefined });
    await expect(checkRedis(client, "warn", logger)).rejects.toThrow();
    client.disconnect();
  });
});

describe("job-store errors", () => {
  it("a WRONGTYPE reply is UNAVAILABLE with a clean message, and a retryable job failure", async () => {
    const key = uniqueKeys("wrongtype").image("x");
    await redis.set(key, "a string", "EX", 60);
    const error = await redis.hget(key, "field").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(error)).toMatch(/WRONGTYPE/);
    expect(statusOf(error)).toEqual({
      code: status.UNAVAILABLE,
      message: "the job store is unavailable; retry",
    });
    expect(failureOf(error)).toEqual({
      code: status.UNAVAILABLE,
      message: "the job store is unavailable; retry",
      retryable: true,
    });
  });

  it("a lost connection (retries used up, connection closed) is UNAVAILABLE, not INTERNAL", async () => {
    const gone = await RedisServer.start();
    await gone.stop();
    const client = new Redis(gone.url, {
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => (times > 3 ? null : 10),
    });
    client.on("error", () => undefined);
    const errors = [
      await client.get("k").then(
        () => undefined,
        (e: unknown) => e,
      ),
      await client.get("k").then(
        () => undefined,
        (e: unknown) => e,
      ),
    ];
    client.disconnect();
    for (const error of errors) {
      expect(error).toBeInstanceOf(Error);
      expect(statusOf(error).code).toBe(status.UNAVAILABLE);
      expect(statusOf(error).message).not.toMatch(/127\.0\.0\.1|ECONN/);
    }
  });
});

describe("Redis connection options", () => {
  const options = (redisUrl: string, redisPassword = "", redisCaFile = "") =>
    redisOptions({ redisUrl, redisPassword, redisCaFile });

  it("takes host, port, database, user and password from the URL; REDIS_PASSWORD overrides", () => {
    expect(options("redis://:s%40cret@redis.example:6380/2")).toEqual({
      host: "redis.example",
      port: 6380,
      db: 2,
      password: "s@cret",
    });
    expect(options("redis://user:old@redis", "new")).toMatchObject({
      username: "user",
      password: "new",
      port: 6379,
    });
    expect(options("redis://redis")).not.toHaveProperty("tls");
  });

  it("turns TLS on for rediss://, and refuses a CA file without it or another scheme", () => {
    expect(options("rediss://redis.example")).toMatchObject({ tls: { servername: "redis.example" } });
    expect(() => options("redis://redis", "", "/ca.pem")).toThrow(/use rediss:\/\//);
    expect(() => options("http://redis")).toThrow(/redis:\/\/ or rediss:\/\//);
  });
});

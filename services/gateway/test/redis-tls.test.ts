/**
 * Redis with a password and TLS only, as a production Redis is reached: the gateway's connection
 * options (rediss://, REDIS_PASSWORD, REDIS_CA_FILE) carry through its own client and every
 * connection BullMQ opens, so a job runs end to end; a wrong password or an unverified
 * certificate is refused. The CA and server certificate are made here with openssl.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { RedisServer } from "@pixellm/launcher";
import { createLogger } from "@pixellm/service-kit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { tempDir } from "../../../test/support/tiny-bundle";
import type { JobResult } from "../src/job-types";
import { BullJobQueue } from "../src/queue/bull-job-queue";
import { waitForEnd } from "../src/queue/watch";
import { checkRedis } from "../src/store/redis-check";
import { redisOptions } from "../src/store/redis-connection";
import { jobData } from "./job-data";
import { uniqueKeys } from "./redis-queue";

const PASSWORD = "correct-horse-battery";
let server: RedisServer;
let caFile: string;

/** A CA and a server certificate for 127.0.0.1 signed by it. */
async function certificates(): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const dir = await tempDir("redis-tls");
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=test-ca",
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.crt"),
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    file("server.key"),
    "-out",
    file("server.csr"),
  );
  writeFileSync(file("san.cnf"), "subjectAltName=IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-days",
    "1",
    "-in",
    file("server.csr"),
    "-CA",
    file("ca.crt"),
    "-CAkey",
    file("ca.key"),
    "-CAcreateserial",
    "-extfile",
    file("san.cnf"),
    "-out",
    file("server.crt"),
  );
  return { caFile: file("ca.crt"), certFile: file("server.crt"), keyFile: file("server.key") };
}

beforeAll(async () => {
  const tls = await certificates();
  caFile = tls.caFile;
  server = await RedisServer.start({ password: PASSWORD, tls });
}, 60_000);

afterAll(() => server?.stop());

const logger = createLogger({ service: "test", level: "error", write: () => undefined });

function open(redisPassword: string, redisCaFile: string): Promise<BullJobQueue> {
  return BullJobQueue.open({
    connection: {
      ...redisOptions({ redisUrl: server.url, redisPassword, redisCaFile }),
      // Fail fast on a refused connection instead of retrying.
      retryStrategy: () => null,
    },
    keys: uniqueKeys("tls"),
    attempts: 1,
    backoffMs: 50,
    resultTtlSeconds: 60,
    eventStreamMaxLength: 1000,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
    workerName: "test",
    logger,
  });
}

it("runs a job through BullMQ on a Redis that takes TLS and a password only", async () => {
  expect(server.url).toMatch(/^rediss:\/\//);
  const queue = await open(PASSWORD, caFile);
  try {
    queue.work(() => Promise.resolve<JobResult>({ text: "over TLS" }), 1);
    await queue.add(jobData(), { id: "job", priority: 0 });
    const end = await waitForEnd(queue, "job", new AbortController().signal);
    expect(end).toMatchObject({ state: "succeeded", result: { text: "over TLS" } });
  } finally {
    await queue.close(1000);
  }
  const client = new Redis(
    redisOptions({ redisUrl: server.url, redisPassword: PASSWORD, redisCaFile: caFile }),
  );
  try {
    // The start-up check reads the settings over the same connection: AOF on, noeviction.
    await expect(checkRedis(client, "refuse", logger)).resolves.toEqual([]);
  } finally {
    client.disconnect();
  }
});

it("is refused with a wrong password", async () => {
  await expect(open("wrong", caFile)).rejects.toThrow(
    /cannot connect to Redis at 127\.0\.0\.1:\d+ \(REDIS_URL\): WRONGPASS/,
  );
});

it("is refused without the CA that signed the server's certificate", async () => {
  await expect(open(PASSWORD, "")).rejects.toThrow(/cannot connect to Redis .*self-signed certificate/);
});

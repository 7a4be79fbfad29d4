/**
 * The private redis-server of chaos tests and the soak: a kill -9 loses nothing Redis
 * acknowledged (AOF fsynced on every write), and a restart on the same port replays it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, expect, it } from "vitest";
import { RedisServer } from "../src/redis-server";

let dir: string;
let server: RedisServer | undefined;

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

it("keeps every acknowledged write across a kill -9 and a restart from its AOF", async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "pixellm-redis-server-"));
  server = await RedisServer.start({ dir });
  const client = new Redis(server.url, { maxRetriesPerRequest: null });
  for (let i = 0; i < 100; i++) await client.set(`key-${i}`, String(i));
  const firstPid = server.pid;

  await server.kill9();
  expect(server.running).toBe(false);
  await server.restart();
  expect(server.pid).not.toBe(firstPid);
  expect(await client.dbsize()).toBe(100);
  expect(await client.get("key-99")).toBe("99");
  expect(await client.config("GET", "appendfsync")).toEqual(["appendfsync", "always"]);
  client.disconnect();
});

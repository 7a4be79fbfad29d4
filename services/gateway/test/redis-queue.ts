/** BullJobQueue on the machine's Redis under a key prefix of its own, for tests of the queue alone. */
import { createLogger } from "@pixellm/service-kit";
import { BullJobQueue, type BullQueueOptions } from "../src/queue/bull-job-queue";
import { RedisKeys } from "../src/redis-keys";
import { redisOptions } from "../src/store/redis-connection";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let opened = 0;

/** A fresh prefix per call: tests never see each other's jobs. */
export function uniqueKeys(name: string): RedisKeys {
  return new RedisKeys(`test-${name}-${process.pid}-${Date.now()}-${opened++}`);
}

export function openBullQueue(
  keys: RedisKeys,
  settings: Partial<Omit<BullQueueOptions, "keys" | "connection" | "logger">> = {},
): Promise<BullJobQueue> {
  return BullJobQueue.open({
    connection: redisOptions({ redisUrl: REDIS_URL, redisPassword: "", redisCaFile: "" }),
    keys,
    attempts: 1,
    backoffMs: 100,
    resultTtlSeconds: 60,
    eventStreamMaxLength: 1000,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
    workerName: "test",
    logger: createLogger({ service: "test", level: "error" }),
    ...settings,
  });
}

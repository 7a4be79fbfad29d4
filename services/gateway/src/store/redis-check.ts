/**
 * The startup check of the Redis a gateway uses. BullMQ needs `maxmemory-policy noeviction`
 * (an evicted job or lock key corrupts the queue), and a queue that must survive a Redis
 * restart needs the append-only file with an fsync policy of `everysec` (at most a second of
 * writes lost) or `always`. Managed Redis services often disable CONFIG: the check then warns
 * with the reason and lets the gateway start, since it cannot tell.
 */
import type { Redis } from "ioredis";
import type { Logger } from "@pixellm/service-kit";

export type RedisCheckMode = "refuse" | "warn" | "off";

export interface RedisSettingsFound {
  readonly appendonly?: string;
  readonly appendfsync?: string;
  readonly maxmemoryPolicy?: string;
  readonly maxmemory?: string;
}

/** What is wrong with a Redis for the gateway's queue; empty when nothing is. */
export function redisProblems(found: RedisSettingsFound): string[] {
  const problems: string[] = [];
  if (found.maxmemoryPolicy !== undefined && found.maxmemoryPolicy !== "noeviction")
    problems.push(
      `maxmemory-policy is ${found.maxmemoryPolicy}: BullMQ needs noeviction (evicted queue keys lose or corrupt jobs); set maxmemory-policy noeviction`,
    );
  if (found.appendonly !== undefined && found.appendonly !== "yes")
    problems.push(
      "appendonly is no: queued and running jobs are lost when Redis restarts; set appendonly yes",
    );
  if (found.appendfsync !== undefined && found.appendonly === "yes" && found.appendfsync === "no")
    problems.push(
      "appendfsync is no: the operating system decides when writes reach the disk, so a crash can lose more than a second of jobs; set appendfsync everysec (or always)",
    );
  return problems;
}

export class RedisCheckError extends Error {
  override name = "RedisCheckError";
}

/** Reads the settings and refuses (throws), warns or passes as `mode` says. */
export async function checkRedis(redis: Redis, mode: RedisCheckMode, logger: Logger): Promise<string[]> {
  if (mode === "off") return [];
  let found: RedisSettingsFound;
  try {
    found = await readSettings(redis);
  } catch (error) {
    // An error reply (unknown command, NOPERM) means CONFIG is disabled; anything else (no
    // connection) is not the check's to excuse.
    if ((error as Error).name !== "ReplyError") throw error;
    logger.warn("redis settings not checked: CONFIG GET is not allowed on this Redis", {
      reason: (error as Error).message,
      fix: "make sure the Redis has appendonly yes, appendfsync everysec and maxmemory-policy noeviction",
    });
    return [];
  }
  const problems = redisProblems(found);
  if (problems.length === 0) {
    if (found.maxmemory === "0")
      logger.warn("redis has no maxmemory: it can grow until the machine runs out of memory", {
        fix: "set maxmemory (with maxmemory-policy noeviction)",
      });
    return [];
  }
  if (mode === "refuse")
    throw new RedisCheckError(
      `the Redis at REDIS_URL is not safe for the job queue:\n  ${problems.join("\n  ")}\n(GATEWAY_REDIS_CHECK=warn starts anyway)`,
    );
  for (const problem of problems) logger.warn("redis is not safe for the job queue", { problem });
  return problems;
}

async function readSettings(redis: Redis): Promise<RedisSettingsFound> {
  const pairs = (await redis.call(
    "CONFIG",
    "GET",
    "appendonly",
    "appendfsync",
    "maxmemory-policy",
    "maxmemory",
  )) as string[];
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < pairs.length; i += 2) values.set(pairs[i]!, pairs[i + 1]!);
  const value = (name: string) => values.get(name);
  return {
    ...optional("appendonly", value("appendonly")),
    ...optional("appendfsync", value("appendfsync")),
    ...optional("maxmemoryPolicy", value("maxmemory-policy")),
    ...optional("maxmemory", value("maxmemory")),
  };
}

function optional<K extends keyof RedisSettingsFound>(key: K, value: string | undefined) {
  return (value === undefined ? {} : { [key]: value }) as Pick<RedisSettingsFound, K>;
}

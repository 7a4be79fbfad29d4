/**
 * How the gateway reaches Redis: one set of connection options, built from the settings, for
 * every client it opens (its own, and BullMQ's queue, events and worker connections). The URL
 * names host, port, database and optionally a user and password (`redis://:password@host:6379/0`);
 * `rediss://` turns TLS on, verified against REDIS_CA_FILE when one is given (a private CA) or the
 * system's roots otherwise. REDIS_PASSWORD, when set, overrides the URL's password, so the
 * password can come from a Secret on its own.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "@pixellm/service-kit";

export interface RedisTarget {
  readonly redisUrl: string;
  readonly redisPassword: string;
  readonly redisCaFile: string;
}

export function redisOptions(target: RedisTarget): RedisOptions {
  const url = new URL(target.redisUrl);
  if (url.protocol !== "redis:" && url.protocol !== "rediss:")
    throw new Error(`REDIS_URL must start with redis:// or rediss:// (TLS), got ${url.protocol}//`);
  const database = url.pathname.replace(/^\//, "");
  const password = target.redisPassword || decodeURIComponent(url.password);
  const username = decodeURIComponent(url.username);
  const tls = url.protocol === "rediss:";
  if (target.redisCaFile && !tls)
    throw new Error("REDIS_CA_FILE is set but REDIS_URL is not rediss://: use rediss:// to turn TLS on");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return {
    host,
    port: url.port ? Number(url.port) : 6379,
    ...(database ? { db: Number(database) } : {}),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls
      ? {
          tls: {
            // SNI carries names only (an IP address is checked against the certificate as is).
            ...(isIP(host) ? {} : { servername: host }),
            ...(target.redisCaFile ? { ca: readFileSync(target.redisCaFile) } : {}),
          },
        }
      : {}),
  };
}

/**
 * Logs a connection's outages once each (ioredis reports every reconnect attempt), without the
 * raw reply text beyond the error's message.
 */
export function logConnectionState(redis: Redis, logger: Logger): void {
  let down = false;
  redis.on("error", (error: Error) => {
    if (down) return;
    down = true;
    logger.warn("redis connection lost; retrying", { reason: error.message });
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    logger.info("redis connection restored");
  });
}

/**
 * A connected client; when the first connection fails, an error that says why (refused, a wrong
 * password, an unverified certificate) rather than ioredis's "Connection is closed.".
 */
export async function connectRedis(options: RedisOptions): Promise<Redis> {
  const redis = new Redis({ ...options, lazyConnect: true });
  let reason: Error | undefined;
  const capture = (error: Error) => (reason ??= error);
  redis.on("error", capture);
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new Error(
      `cannot connect to Redis at ${options.host}:${options.port} (REDIS_URL): ${(reason ?? (error as Error)).message}`,
    );
  } finally {
    redis.off("error", capture);
  }
}

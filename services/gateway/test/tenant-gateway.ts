/**
 * The gateway's public service as tenants see it, for tests of authentication and tenant scoping:
 * the real handlers, admission, submitter, interceptor and tenant counts, over real gRPC on
 * loopback and a real queue (BullMQ on Redis, or the in-memory one). No worker takes the jobs, so
 * they stay queued for as long as a test needs them to.
 */
import type * as grpc from "@grpc/grpc-js";
import { services } from "@pixellm/api";
import { loadBundle } from "@pixellm/bundle";
import { ServiceHost, connectionLimits, createLogger } from "@pixellm/service-kit";
import { loadTokenizer } from "@pixellm/tokenizer";
import { Redis } from "ioredis";
import { Admission } from "../src/admission";
import { authInterceptor } from "../src/auth";
import { gatewayConfig } from "../src/config";
import { ImageWorkers } from "../src/image-workers";
import { JobTelemetry } from "../src/job-telemetry";
import { JobSubmitter } from "../src/jobs";
import { BullJobQueue } from "../src/queue/bull-job-queue";
import type { JobQueue } from "../src/queue/job-queue";
import { MemoryJobQueue } from "../src/queue/memory-job-queue";
import { RedisKeys } from "../src/redis-keys";
import { gatewayHandlers } from "../src/server";
import { MemoryBlobStore, RedisBlobStore } from "../src/store/blob-store";
import { MemoryTenantJobs } from "../src/tenants/memory-tenant-jobs";
import { RedisTenantJobs } from "../src/tenants/redis-tenant-jobs";
import { TenantDirectory } from "../src/tenants/tenant-directory";
import { redisOptions } from "../src/store/redis-connection";
import type { TenantEntry } from "../src/tenants/tenants-file";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SERVICE = "pixellm.v1.PixelLM";

export interface TenantGateway {
  readonly address: string;
  readonly queue: JobQueue;
  /** How many request messages the service has deserialised so far. */
  parsedMessages(): number;
  stop(): Promise<void>;
}

export async function startTenantGateway(options: {
  readonly mode: "redis" | "embedded";
  readonly bundleDir: string;
  readonly tenants: readonly TenantEntry[];
  readonly apiKeys?: readonly string[];
  readonly maxQueued: number;
}): Promise<TenantGateway> {
  const config = gatewayConfig({
    PIXELLM_BUNDLE: options.bundleDir,
    GATEWAY_MAX_QUEUED: String(options.maxQueued),
    GATEWAY_MODE: options.mode,
  });
  const logger = createLogger({ service: "test-gateway", level: "error" });
  const bundle = await loadBundle(options.bundleDir, "size");
  const tokenizer = await loadTokenizer(options.bundleDir);
  const keys = new RedisKeys(
    `test-tenants-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  );
  const redis = options.mode === "redis" ? new Redis(REDIS_URL, { maxRetriesPerRequest: 3 }) : undefined;
  const queue: JobQueue = redis
    ? await BullJobQueue.open({
        ...config,
        connection: redisOptions({ ...config, redisUrl: REDIS_URL }),
        keys,
        logger,
        workerName: "test",
      })
    : new MemoryJobQueue(config);
  const images = await ImageWorkers.start(1, {
    maxDecodes: config.maxDecodes,
    maxWaiting: config.maxDecodeQueue,
  });
  const telemetry = new JobTelemetry("test");
  const blobs = redis
    ? new RedisBlobStore(redis, {
        ledger: keys.checkpointLedger,
        sizes: keys.checkpointSizes,
        budgetBytes: config.checkpointBudgetBytes,
      })
    : new MemoryBlobStore(config.checkpointBudgetBytes);
  const tenantJobs = redis ? new RedisTenantJobs(redis, keys) : new MemoryTenantJobs(queue);
  const handlers = gatewayHandlers({
    admission: new Admission(config, bundle.manifest, tokenizer, images),
    submitter: new JobSubmitter(queue, blobs, keys, config, telemetry, tenantJobs),
    queue,
    tokenizer,
    defaultTimeoutMs: config.defaultTimeoutMs,
    logger,
  });
  let parsed = 0;
  const definition = countingDeserialisers(services().PixelLM.service, () => parsed++);
  const host = await ServiceHost.start({
    host: "127.0.0.1",
    port: 0,
    services: [{ name: SERVICE, definition, implementation: handlers }],
    maxMessageBytes: config.maxMessageBytes,
    connections: connectionLimits(config),
    logger,
    interceptors: [authInterceptor(new TenantDirectory(options.tenants, options.apiKeys ?? []), [SERVICE])],
  });
  host.setReady(true);
  return {
    address: `127.0.0.1:${host.port}`,
    queue,
    parsedMessages: () => parsed,
    stop: async () => {
      await host.shutdown(() => queue.close(1000), 2000);
      await images.close();
      telemetry.close();
      if (redis) {
        const stale = await redis.keys(`${keys.prefix}:*`);
        if (stale.length > 0) await redis.del(...stale);
        redis.disconnect();
      }
    },
  };
}

/** The service with each method's request deserialiser counting its calls. */
function countingDeserialisers(
  definition: grpc.ServiceDefinition,
  count: () => void,
): grpc.ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => [
      name,
      {
        ...method,
        requestDeserialize: (bytes: Buffer): unknown => {
          count();
          return method.requestDeserialize(bytes) as unknown;
        },
      },
    ]),
  );
}

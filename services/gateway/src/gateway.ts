/**
 * Wires a gateway: its Redis, checked at start-up (store/redis-check.ts), bundle manifest and
 * tokenizer, the queue and stores (Redis, or memory in the embedded mode), the stages (remote
 * replicas, or in-process), the orchestrating workers and the public gRPC service.
 */
import { hostname } from "node:os";
import { services } from "@pixellm/api";
import { loadBundle } from "@pixellm/bundle";
import {
  type Logger,
  ServiceHost,
  connectionLimits,
  createLogger,
  largestLimit,
  serverTlsOf,
  stageClientTlsOf,
} from "@pixellm/service-kit";
import { loadTokenizer } from "@pixellm/tokenizer";
import { Admission } from "./admission";
import { authInterceptor } from "./auth";
import type { GatewayConfig } from "./config";
import { observeGateway } from "./gateway-metrics";
import { ImageWorkers } from "./image-workers";
import { JobTelemetry } from "./job-telemetry";
import { JobSubmitter } from "./jobs";
import { Orchestrator } from "./orchestrator";
import { BullJobQueue } from "./queue/bull-job-queue";
import type { JobQueue } from "./queue/job-queue";
import { MemoryJobQueue } from "./queue/memory-job-queue";
import { RedisKeys } from "./redis-keys";
import { publicRequestLimits } from "./request-limits";
import { gatewayHandlers } from "./server";
import { GrpcStageClients } from "./stages/grpc-stage-clients";
import { loadInProcessStages } from "./stages/in-process-stage-clients";
import type { StageClients } from "./stages/stage-clients";
import { waitingWhileBusy } from "./stages/waiting-while-busy";
import { type BlobStore, MemoryBlobStore, RedisBlobStore } from "./store/blob-store";
import { checkRedis } from "./store/redis-check";
import { connectRedis, logConnectionState, redisOptions } from "./store/redis-connection";
import { MemoryTenantJobs } from "./tenants/memory-tenant-jobs";
import { RedisTenantJobs } from "./tenants/redis-tenant-jobs";
import { TenantDirectory } from "./tenants/tenant-directory";
import { readTenantsFile } from "./tenants/tenants-file";

const PUBLIC_SERVICE = "pixellm.v1.PixelLM";

export interface RunningGateway {
  readonly port: number;
  readonly logger: Logger;
  stop(): Promise<void>;
}

export async function startGateway(
  config: GatewayConfig,
  logger: Logger = createLogger({ service: "gateway", level: config.logLevel }),
): Promise<RunningGateway> {
  const embedded = config.mode === "embedded";
  // Checked first: bad certificate files stop the start before anything is opened.
  const tls = serverTlsOf(config);
  const stageTls = embedded ? undefined : stageClientTlsOf(config);
  const tenants = new TenantDirectory(
    config.tenantsFile ? readTenantsFile(config.tenantsFile) : [],
    config.apiKeys,
  );
  const connection = embedded ? undefined : redisOptions(config);
  const redis = connection && (await connectRedis({ ...connection, maxRetriesPerRequest: 3 }));
  if (redis) {
    logConnectionState(redis, logger);
    await checkRedis(redis, config.redisCheck, logger).catch((error: unknown) => {
      redis.disconnect();
      throw error;
    });
  }
  const bundle = await loadBundle(config.bundle, config.verify);
  const tokenizer = await loadTokenizer(config.bundle);
  const keys = new RedisKeys(config.keyPrefix);
  const blobs: BlobStore = redis
    ? new RedisBlobStore(redis, {
        ledger: keys.checkpointLedger,
        sizes: keys.checkpointSizes,
        budgetBytes: config.checkpointBudgetBytes,
      })
    : new MemoryBlobStore(config.checkpointBudgetBytes);
  const queue: JobQueue = !connection
    ? new MemoryJobQueue({
        attempts: config.attempts,
        backoffMs: config.backoffMs,
        resultTtlSeconds: config.resultTtlSeconds,
      })
    : await BullJobQueue.open({
        ...config,
        connection,
        keys,
        logger,
        workerName: `gateway-${hostname()}-${process.pid}`,
      });
  const remote = embedded
    ? undefined
    : await GrpcStageClients.connect(config, bundle.manifest, logger, stageTls);
  const stages: StageClients = waitingWhileBusy(
    remote ?? (await loadInProcessStages(config, bundle, logger)),
  );
  const images = await ImageWorkers.start(config.imageWorkers, {
    maxDecodes: config.maxDecodes,
    maxWaiting: config.maxDecodeQueue,
  });
  const telemetry = new JobTelemetry(embedded ? "memory" : "bullmq");
  const stopObserving = observeGateway(queue, remote && (() => remote.replicas()));
  const orchestrator = new Orchestrator({
    stages,
    blobs,
    keys,
    manifest: bundle.manifest,
    modelDigest: bundle.digest,
    tokenizer,
    checkpointTtlSeconds: config.checkpointTtlSeconds,
    maxMaskPixels: config.maxMaskPixels,
    maxCheckpointBytes: config.maxCheckpointBytes,
    logger,
    telemetry,
  });
  queue.work(orchestrator.process, config.workerConcurrency);
  const handlers = gatewayHandlers({
    admission: new Admission(config, bundle.manifest, tokenizer, images, () => stages.kvBudgetTokens()),
    submitter: new JobSubmitter(
      queue,
      blobs,
      keys,
      config,
      telemetry,
      redis ? new RedisTenantJobs(redis, keys) : new MemoryTenantJobs(queue),
    ),
    queue,
    tokenizer,
    defaultTimeoutMs: config.defaultTimeoutMs,
    logger,
  });
  const requestLimits = publicRequestLimits(config, bundle.manifest);
  const host = await ServiceHost.start({
    host: config.host,
    port: config.port,
    services: [
      {
        name: PUBLIC_SERVICE,
        definition: services().PixelLM.service,
        implementation: handlers,
        requestLimits: () => requestLimits,
      },
    ],
    interceptors: [authInterceptor(tenants, [PUBLIC_SERVICE])],
    maxMessageBytes: config.maxMessageBytes,
    maxReceiveBytes: largestLimit([requestLimits]),
    connections: connectionLimits(config),
    callLimit: { services: [PUBLIC_SERVICE], maxCalls: config.maxCalls, setting: "GATEWAY_MAX_CALLS" },
    logger,
    tls,
    healthPort: config.healthPort > 0 ? config.healthPort : undefined,
  });
  host.setReady(true);
  let stopping: Promise<void> | undefined;
  return {
    port: host.port,
    logger,
    stop: () =>
      (stopping ??= host
        .shutdown(() => queue.close(config.shutdownGraceMs), config.shutdownGraceMs)
        .then(() => Promise.all([stages.close(), images.close()]))
        .then(() => {
          stopObserving();
          telemetry.close();
          redis?.disconnect();
        })),
  };
}

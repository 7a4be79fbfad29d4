/**
 * A real local deployment for serving tests: the tiny bundle, N replicas per stage and M
 * gateways as processes on loopback, the machine's Redis under a key prefix of its own.
 */
import path from "node:path";
import { type InfoRequest, type StageInfo__Output, services } from "@pixellm/api";
import { LocalDeployment, type ManagedProcess } from "@pixellm/launcher";
import * as grpc from "@grpc/grpc-js";
import { type TinyBundle, makeTinyBundle, tempDir } from "./tiny-bundle";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export interface TestDeployment {
  readonly deployment: LocalDeployment;
  readonly tiny: TinyBundle;
  readonly keyPrefix: string;
  readonly logDir: string;
}

export async function startTestDeployment(options: {
  replicas: number;
  gateways: number;
  gatewayEnv?: Record<string, string>;
}): Promise<TestDeployment> {
  const tiny = await makeTinyBundle();
  const logDir = await tempDir("deployment-logs");
  const keyPrefix = `test-${path.basename(logDir)}`;
  const deployment = await LocalDeployment.start({
    bundle: tiny.bundleDir,
    redisUrl: REDIS_URL,
    keyPrefix,
    replicas: { vision: options.replicas, llm: options.replicas, decoder: options.replicas },
    gateways: options.gateways,
    env: { PIXELLM_INTRA_OP_THREADS: "1", PIXELLM_LOG_LEVEL: "info", PIXELLM_SHUTDOWN_GRACE_MS: "5000" },
    roleEnv: {
      gateway: {
        GATEWAY_LOCK_DURATION_MS: "3000",
        GATEWAY_STALLED_INTERVAL_MS: "1000",
        GATEWAY_HEALTH_INTERVAL_MS: "500",
        GATEWAY_RETRY_BACKOFF_MS: "200",
        ...options.gatewayEnv,
      },
    },
    logs: { kind: "directory", dir: logDir },
  });
  return { deployment, tiny, keyPrefix, logDir };
}

const STAGE_CLIENTS = {
  "vision-encoder": "VisionEncoder",
  llm: "LLMGenerator",
  "pixel-decoder": "PixelDecoder",
} as const;

/** The Info of a stage replica (its batch statistics). */
export function stageInfo(process: ManagedProcess): Promise<StageInfo__Output> {
  const name = STAGE_CLIENTS[process.role as keyof typeof STAGE_CLIENTS];
  const Client = services()[name] as unknown as new (
    address: string,
    credentials: grpc.ChannelCredentials,
  ) => grpc.Client & {
    Info(
      request: InfoRequest,
      callback: (error: grpc.ServiceError | null, response?: StageInfo__Output) => void,
    ): void;
  };
  const client = new Client(process.address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.Info({}, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response!);
    }),
  );
}

/** Σ items / Σ batches over the replicas of a stage that are still up. */
export async function meanBatchSize(
  processes: readonly ManagedProcess[],
): Promise<{ batches: number; items: number; mean: number }> {
  const infos = await Promise.all(processes.map((p) => stageInfo(p)));
  const batches = infos.reduce((sum, i) => sum + Number(i.stats?.batches ?? 0), 0);
  const items = infos.reduce((sum, i) => sum + Number(i.stats?.items ?? 0), 0);
  return { batches, items, mean: batches > 0 ? items / batches : 0 };
}

/**
 * A real local deployment for serving tests: the tiny bundle, N replicas per stage and M
 * gateways as processes on loopback, the machine's Redis under a key prefix of its own.
 */
import path from "node:path";
import { type DeploymentTls, LocalDeployment } from "@pixellm/launcher";
import { type TinyBundle, makeTinyBundle, tempDir } from "./tiny-bundle";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export interface TestDeployment {
  readonly deployment: LocalDeployment;
  readonly tiny: TinyBundle;
  readonly keyPrefix: string;
  readonly logDir: string;
}

export async function startTestDeployment(options: {
  /** Replicas of every stage, or of each. */
  replicas: number | { readonly vision: number; readonly llm: number; readonly decoder: number };
  gateways: number;
  gatewayEnv?: Record<string, string>;
  /** Environment of every process, over the defaults (telemetry, log level). */
  env?: Record<string, string>;
  /** The Redis to share (the machine's by default; a private one for tests that kill it). */
  redisUrl?: string;
  /** The bundle to serve (a fresh tiny one by default). */
  bundle?: TinyBundle;
  readyTimeoutMs?: number;
  /** TLS on every port, mutual TLS between gateways and stages. */
  tls?: DeploymentTls;
}): Promise<TestDeployment> {
  const tiny = options.bundle ?? (await makeTinyBundle());
  const logDir = await tempDir("deployment-logs");
  const keyPrefix = `test-${path.basename(logDir)}`;
  const deployment = await LocalDeployment.start({
    bundle: tiny.bundleDir,
    redisUrl: options.redisUrl ?? REDIS_URL,
    keyPrefix,
    replicas:
      typeof options.replicas === "number"
        ? { vision: options.replicas, llm: options.replicas, decoder: options.replicas }
        : options.replicas,
    gateways: options.gateways,
    env: {
      PIXELLM_INTRA_OP_THREADS: "1",
      PIXELLM_LOG_LEVEL: "info",
      PIXELLM_SHUTDOWN_GRACE_MS: "5000",
      ...options.env,
    },
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
    ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  return { deployment, tiny, keyPrefix, logDir };
}

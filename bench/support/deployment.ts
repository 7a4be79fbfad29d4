/**
 * The deployment the serving benchmarks measure: one replica per stage and one gateway, queueing
 * through Redis, as `pnpm start` runs it; logs silenced so the tables stay readable.
 */
import { type DeploymentOptions, LocalDeployment } from "@pixellm/launcher";

export function benchDeployment(
  bundle: string,
  name: string,
  options: Pick<DeploymentOptions, "env" | "roleEnv"> & { readonly redisUrl?: string } = {},
): Promise<LocalDeployment> {
  return LocalDeployment.start({
    bundle,
    redisUrl: options.redisUrl ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    keyPrefix: `bench-${name}-${process.pid}`,
    replicas: { vision: 1, llm: 1, decoder: 1 },
    gateways: 1,
    env: { PIXELLM_LOG_LEVEL: "warn", ...options.env },
    ...(options.roleEnv ? { roleEnv: options.roleEnv } : {}),
    logs: { kind: "silent" },
  });
}

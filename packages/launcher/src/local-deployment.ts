/**
 * A local distributed deployment: N replicas per stage and M gateways as processes on
 * loopback, sharing one Redis under a key prefix of their own, each with its own /metrics port.
 * Stages start first (gateways route to their addresses); everything is ready when each process
 * reports SERVING.
 */
import { type ChannelSecurity, channelSecurity } from "@pixellm/service-kit";
import { type LogTarget, ManagedProcess, type Role } from "./managed-process";
import { freePort } from "./free-port";

/**
 * Certificates for a deployment with TLS everywhere: every process serves `server` (its names
 * must include 127.0.0.1), the stages require client certificates signed by `ca`, and the
 * gateways present `client` to them. The launcher's own probes present `client` too.
 */
export interface DeploymentTls {
  readonly caFile: string;
  readonly server: { readonly certFile: string; readonly keyFile: string };
  readonly client: { readonly certFile: string; readonly keyFile: string };
}

export interface DeploymentOptions {
  readonly bundle: string;
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly replicas: { readonly vision: number; readonly llm: number; readonly decoder: number };
  readonly gateways: number;
  /** Environment for every process (batching, timeouts, …), on top of this process's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra environment per role. */
  readonly roleEnv?: Partial<Readonly<Record<Role, Readonly<Record<string, string>>>>>;
  readonly logs?: LogTarget;
  readonly readyTimeoutMs?: number;
  /** TLS on every port and mutual TLS between gateways and stages; plaintext when absent. */
  readonly tls?: DeploymentTls;
}

const STAGES = [
  { role: "vision-encoder", short: "vision", prefix: "VISION" },
  { role: "llm", short: "llm", prefix: "LLM" },
  { role: "pixel-decoder", short: "decoder", prefix: "DECODER" },
] as const;

export class LocalDeployment {
  private constructor(
    readonly processes: readonly ManagedProcess[],
    private readonly readyTimeoutMs: number,
  ) {}

  static async start(options: DeploymentOptions): Promise<LocalDeployment> {
    const logs = options.logs ?? { kind: "console" };
    const common = { PIXELLM_BUNDLE: options.bundle, PIXELLM_BUNDLE_VERIFY: "size", ...options.env };
    const processes: ManagedProcess[] = [];
    const security = probeSecurity(options.tls);
    const gatewayEnv: Record<string, string> = {
      REDIS_URL: options.redisUrl,
      PIXELLM_KEY_PREFIX: options.keyPrefix,
      GATEWAY_MODE: "redis",
      ...gatewayTlsEnv(options.tls),
      // A local deployment runs on a developer's Redis (often without AOF): the check warns.
      GATEWAY_REDIS_CHECK: "warn",
    };
    for (const stage of STAGES) {
      const addresses: string[] = [];
      for (let i = 0; i < options.replicas[stage.short]; i++) {
        const port = await freePort();
        const env = {
          ...common,
          ...stageTlsEnv(stage.prefix, options.tls),
          ...options.roleEnv?.[stage.role],
          [`${stage.prefix}_PORT`]: String(port),
          [`${stage.prefix}_HOST`]: "127.0.0.1",
        };
        processes.push(
          new ManagedProcess(`${stage.short}-${i}`, stage.role, port, await freePort(), env, logs, security),
        );
        addresses.push(`127.0.0.1:${port}`);
      }
      gatewayEnv[`${stage.prefix}_ADDRESSES`] = addresses.join(",");
    }
    for (let i = 0; i < options.gateways; i++) {
      const port = await freePort();
      processes.push(
        new ManagedProcess(
          `gateway-${i}`,
          "gateway",
          port,
          await freePort(),
          {
            ...common,
            ...gatewayEnv,
            ...options.roleEnv?.gateway,
            GATEWAY_PORT: String(port),
            GATEWAY_HOST: "127.0.0.1",
          },
          logs,
          security,
        ),
      );
    }
    const deployment = new LocalDeployment(processes, options.readyTimeoutMs ?? 120_000);
    try {
      await deployment.startAll(deployment.stages());
      await deployment.startAll(deployment.byRole("gateway"));
    } catch (error) {
      await deployment.stop();
      throw error;
    }
    return deployment;
  }

  byRole(role: Role): ManagedProcess[] {
    return this.processes.filter((p) => p.role === role);
  }

  private stages(): ManagedProcess[] {
    return this.processes.filter((p) => p.role !== "gateway");
  }

  private async startAll(group: readonly ManagedProcess[]): Promise<void> {
    for (const p of group) p.start();
    await Promise.all(group.map((p) => p.ready(this.readyTimeoutMs)));
  }

  get gatewayAddresses(): string[] {
    return this.byRole("gateway").map((p) => p.address);
  }

  /** Restarts a process (after a kill) and waits until it is ready again. */
  async restart(process: ManagedProcess): Promise<void> {
    process.start();
    await process.ready(this.readyTimeoutMs);
  }

  async stop(): Promise<void> {
    // Gateways first (they drain their jobs), then the stages they call.
    await Promise.all(this.byRole("gateway").map((p) => p.stop()));
    await Promise.all(this.stages().map((p) => p.stop()));
    for (const p of this.processes) p.closeLog();
  }
}

/** A stage's server certificate and the CA its callers' certificates must chain to. */
function stageTlsEnv(prefix: string, tls: DeploymentTls | undefined): Record<string, string> {
  if (!tls) return {};
  return {
    [`${prefix}_TLS_CERT`]: tls.server.certFile,
    [`${prefix}_TLS_KEY`]: tls.server.keyFile,
    [`${prefix}_TLS_CLIENT_CA`]: tls.caFile,
  };
}

/** A gateway's public certificate, and its trust and client certificate towards the stages. */
function gatewayTlsEnv(tls: DeploymentTls | undefined): Record<string, string> {
  if (!tls) return {};
  return {
    GATEWAY_TLS_CERT: tls.server.certFile,
    GATEWAY_TLS_KEY: tls.server.keyFile,
    STAGE_TLS_CA: tls.caFile,
    STAGE_TLS_CERT: tls.client.certFile,
    STAGE_TLS_KEY: tls.client.keyFile,
  };
}

/** How the launcher's readiness probes and tools reach the processes. */
function probeSecurity(tls: DeploymentTls | undefined): ChannelSecurity {
  return channelSecurity(
    tls && {
      caFile: tls.caFile,
      certFile: tls.client.certFile,
      keyFile: tls.client.keyFile,
      refreshMs: 60_000,
    },
  );
}

/** `pixellm up` (`pnpm start`): the distributed deployment as local processes, with Redis. */
import path from "node:path";
import { parseArgs } from "node:util";
import { type DeploymentTls, LocalDeployment } from "@pixellm/launcher";
import { defaultBundle } from "../default-bundle";
import { parseNumber } from "../flags";
import { stopSignal } from "../stop-signal";

export const upUsage = `pixellm up [--model BUNDLE] [--replicas N] [--gateways M] [--redis URL] [--prefix NAME] [--log-dir DIR]
           [--tls-dir DIR]
  Starts N replicas of each stage (vision-encoder, llm, pixel-decoder) and M gateways as local
  processes on loopback, queueing through Redis (default redis://127.0.0.1:6379, keys under
  NAME, default "pixellm-local"). Ctrl-C drains and stops everything.
  --tls-dir DIR   TLS on every port and mutual TLS between gateways and stages, from DIR/ca.crt,
                  DIR/server.crt + server.key (every process; names must include 127.0.0.1) and
                  DIR/gateway.crt + gateway.key (the gateways' client certificate): docs/tls.md`;

export async function upCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      replicas: { type: "string" },
      gateways: { type: "string" },
      redis: { type: "string", default: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" },
      prefix: { type: "string", default: "pixellm-local" },
      "log-dir": { type: "string" },
      "tls-dir": { type: "string" },
    },
    strict: true,
  });
  const replicas = parseNumber("--replicas", values.replicas, {
    min: 1,
    max: 16,
    integer: true,
    fallback: 1,
  });
  const tlsDir = values["tls-dir"];
  const deployment = await LocalDeployment.start({
    bundle: values.model ?? (await defaultBundle()),
    redisUrl: values.redis,
    keyPrefix: values.prefix,
    replicas: { vision: replicas, llm: replicas, decoder: replicas },
    gateways: parseNumber("--gateways", values.gateways, { min: 1, max: 16, integer: true, fallback: 1 }),
    logs: values["log-dir"] ? { kind: "directory", dir: values["log-dir"] } : { kind: "console" },
    ...(tlsDir ? { tls: deploymentTls(tlsDir) } : {}),
  });
  for (const p of deployment.processes)
    console.log(`${p.name.padEnd(12)} ${p.address}  pid ${p.pid}  ${p.metricsUrl}`);
  const tlsFlag = tlsDir ? ` --tls-ca ${path.join(tlsDir, "ca.crt")}` : "";
  console.log(
    `ready: pnpm pixellm client segment --address ${deployment.gatewayAddresses[0]}${tlsFlag} --image examples/shapes.png --query "Segment the ball."`,
  );
  await stopSignal();
  await deployment.stop();
}

/** The files of `--tls-dir` (the names docs/tls.md's openssl recipe writes). */
function deploymentTls(dir: string): DeploymentTls {
  const file = (name: string) => path.join(dir, name);
  return {
    caFile: file("ca.crt"),
    server: { certFile: file("server.crt"), keyFile: file("server.key") },
    client: { certFile: file("gateway.crt"), keyFile: file("gateway.key") },
  };
}

/**
 * The chart, rendered for a run on this machine (the chart-driven local run, and the image smoke
 * that runs the same Deployments as containers): values that point at a Redis and a bundle here,
 * every service on a free port, API keys, short grace periods; and each rendered container's
 * environment with only what a cluster provides mapped to the machine. Service DNS names →
 * 127.0.0.1 (each service keeps its own container port), 0.0.0.0 → 127.0.0.1, volume mount
 * paths → local directories (a container mounts them where the chart does, so none), and the
 * metrics and plaintext health ports (one per pod in a cluster, shared here) → a free port per
 * container.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { freePort } from "@pixellm/launcher";
import { renderChart } from "../../../scripts/chart/render";
import { validateObjects } from "./k8s-schema";
import { type K8sObject, parseManifests } from "./manifests";
import { type Container, containerPort, resolveEnv, serviceFor } from "./rendered-wiring";

export const API_KEY = "deploy-test-key-0001";
/** Where the rendered commands run: the image's WORKDIR (docker/Dockerfile). */
export const IMAGE_WORKDIR = "/app";

export interface LocalReleaseOptions {
  /** The model volume's content: the directory that holds the bundle directory. */
  readonly modelRoot: string;
  /** The bundle directory, relative to `modelRoot`. */
  readonly bundlePath: string;
  readonly redisUrl: string;
  readonly keyPrefix: string;
  /** Where the values file is written. */
  readonly workDir: string;
  /** More top-level values (e.g. `tls`). */
  readonly values?: Readonly<Record<string, unknown>>;
}

export interface LocalRelease {
  readonly objects: K8sObject[];
  readonly renderMs: number;
}

export async function renderLocalRelease(options: LocalReleaseOptions): Promise<LocalRelease> {
  const [gateway, vision, llm, decoder] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const grace = { shutdownGraceSeconds: 5 };
  // One intra-op thread per stage: four services share this machine's two cores.
  const stage = (port: number) => ({ ...grace, port, config: { PIXELLM_INTRA_OP_THREADS: 1 } });
  const values = {
    model: { source: "pvc", path: options.bundlePath, verify: "size" },
    redis: { url: options.redisUrl, keyPrefix: options.keyPrefix },
    apiKeys: { keys: [API_KEY] },
    gateway: {
      ...grace,
      replicas: 1,
      port: gateway,
      config: { GATEWAY_HEALTH_INTERVAL_MS: 500, GATEWAY_REDIS_CHECK: "warn" },
    },
    visionEncoder: stage(vision),
    llm: stage(llm),
    pixelDecoder: stage(decoder),
    ...options.values,
  };
  const valuesFile = path.join(options.workDir, "values.json");
  await writeFile(valuesFile, JSON.stringify(values));
  const started = performance.now();
  const objects = parseManifests(await renderChart({ valuesFiles: [valuesFile] }));
  const renderMs = performance.now() - started;
  const invalid = validateObjects(objects);
  if (invalid.length > 0) throw new Error(`rendered manifests are invalid:\n${invalid.join("\n")}`);
  return { objects, renderMs };
}

/** Maps a rendered value that names something of the cluster onto this machine. */
function localize(value: string, objects: readonly K8sObject[], mounts: ReadonlyMap<string, string>): string {
  if (value === "0.0.0.0") return "127.0.0.1";
  const dns = /^dns:([a-z0-9-]+):(\d+)$/.exec(value);
  if (dns) {
    if (serviceFor(objects, dns[1]!).spec.clusterIP !== "None")
      throw new Error(`${dns[1]} must be a headless Service: the gateway resolves every ready pod`);
    return `dns:127.0.0.1:${dns[2]}`;
  }
  for (const [mountPath, local] of mounts) {
    if (value === mountPath || value.startsWith(`${mountPath}/`))
      return local + value.slice(mountPath.length);
  }
  return value;
}

/** The container's environment as the kubelet builds it, mapped to this machine. */
export async function localEnv(
  container: Container,
  objects: readonly K8sObject[],
  mounts: ReadonlyMap<string, string> = new Map(),
): Promise<Record<string, string>> {
  const env = Object.fromEntries(
    Object.entries(resolveEnv(container, objects)).map(([k, v]) => [k, localize(v, objects, mounts)]),
  );
  if (env.PIXELLM_METRICS_PORT) {
    if (Number(env.PIXELLM_METRICS_PORT) !== containerPort(container, "metrics"))
      throw new Error(`${container.name}: PIXELLM_METRICS_PORT is not the container's metrics port`);
    env.PIXELLM_METRICS_PORT = String(await freePort());
  }
  // The plaintext health port of a TLS pod (tls.probePort), one per pod too.
  const healthPort = Object.keys(env).find((k) => k.endsWith("_HEALTH_PORT"));
  if (healthPort) {
    if (Number(env[healthPort]) !== containerPort(container, "health"))
      throw new Error(`${container.name}: ${healthPort} is not the container's health port`);
    env[healthPort] = String(await freePort());
  }
  return env;
}

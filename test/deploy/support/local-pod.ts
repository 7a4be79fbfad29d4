/**
 * A rendered container run on this machine: as a local process (its command with this machine's
 * node, its working directory and volume mounts mapped to local directories, its environment
 * and nothing else, so that no variable of the test runner leaks in), or as a podman container
 * of the image (test/packaging). Either way its startup probe is polled until it passes.
 */
import path from "node:path";
import { checkHealth } from "@pixellm/service-kit";
import { REPO_ROOT } from "../../../scripts/chart/render";
import { type Launch, LaunchedProcess } from "./launched-process";
import { IMAGE_WORKDIR, localEnv } from "./local-release";
import type { K8sObject } from "./manifests";
import { type Container, containerPort, onlyContainer } from "./rendered-wiring";

/** The rendered command as a local process: the image's `node` is this machine's node. */
export function nodeLaunch(
  name: string,
  container: Container,
  cwd: string,
  env: Readonly<Record<string, string>>,
): Launch {
  const [program, ...args] = [...container.command, ...(container.args ?? [])];
  if (program !== "node") throw new Error(`${name}: expected a node command, got ${program}`);
  return { program: process.execPath, args, cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } };
}

export class LocalPod extends LaunchedProcess {
  constructor(
    name: string,
    readonly container: Container,
    /** The grpc address the probes and clients use (127.0.0.1:<containerPort>). */
    readonly address: string,
    launch: Launch,
    logFile: string,
    /** Where the kubelet's probes go: the plaintext health port of a TLS pod, else `address`. */
    readonly probeAddress: string = address,
  ) {
    super(name, launch, logFile);
  }

  /** Polls the health service the rendered startup probe asks for, until SERVING. */
  async started(timeoutMs: number): Promise<void> {
    const service = this.container.startupProbe.grpc.service ?? "";
    let exited = false;
    void this.exited.then(() => (exited = true));
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (exited)
        throw new Error(`${this.name} exited before its startup probe passed (log: ${this.logFile})`);
      const status = await checkHealth(this.probeAddress, service, { timeoutMs: 1000 }).catch(
        () => "UNKNOWN",
      );
      if (status === "SERVING") return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`${this.name}: startup probe did not pass within ${timeoutMs} ms (log: ${this.logFile})`);
  }
}

/**
 * A rendered Deployment's container as a local process: each volume mount mapped to the local
 * directory `standIns` gives for its volume, its environment as `localEnv` maps it, probed where
 * its rendered probes point (its plaintext health port when it serves TLS).
 */
export async function localPodOf(
  deployment: K8sObject,
  objects: readonly K8sObject[],
  standIns: ReadonlyMap<string, string>,
  logDir: string,
): Promise<LocalPod> {
  const name = deployment.metadata.name;
  const container = onlyContainer(deployment);
  if (container.workingDir !== IMAGE_WORKDIR)
    throw new Error(`${name}: runs in ${container.workingDir}, not the image's ${IMAGE_WORKDIR}`);
  const mounts = new Map<string, string>();
  for (const mount of container.volumeMounts) {
    const local = standIns.get(mount.name);
    if (!local) throw new Error(`${name}: no local stand-in for volume ${mount.name}`);
    mounts.set(mount.mountPath, local);
  }
  const env = {
    ...(await localEnv(container, objects, mounts)),
    ...(standIns.has("tmp") ? { TMPDIR: standIns.get("tmp")! } : {}),
  };
  const address = `127.0.0.1:${containerPort(container, "grpc")}`;
  const healthPort = Object.entries(env).find(([k]) => k.endsWith("_HEALTH_PORT"))?.[1];
  const launch = nodeLaunch(name, container, REPO_ROOT, env);
  return new LocalPod(
    name,
    container,
    address,
    launch,
    path.join(logDir, `${name}.log`),
    healthPort ? `127.0.0.1:${healthPort}` : address,
  );
}

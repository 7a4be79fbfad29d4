/**
 * podman as the image smoke drives it: always the runc runtime (crun fails on this project's
 * machines, whose cgroups are hybrid), builds with their output in a log file, and a rendered
 * pod's container as a `podman run` that keeps what the chart asks of it.
 */
import { execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { promisify } from "node:util";
import type { Launch } from "../../deploy/support/launched-process";
import type { Container, PodTemplate } from "../../deploy/support/rendered-wiring";

const run = promisify(execFile);
const RUNTIME = ["--runtime", "runc"];
/** The podman client needs nothing of the test runner's environment but PATH. */
const PODMAN_ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

/** A podman command's stdout; its stderr becomes the error message when it fails. */
export async function podman(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run("podman", [...RUNTIME, ...args], { maxBuffer: 64 * 2 ** 20 });
    return stdout.trim();
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new Error(`podman ${args.join(" ")}: ${failure.stderr?.trim() || failure.message}`);
  }
}

export async function imageExists(image: string): Promise<boolean> {
  return podman(["image", "exists", image]).then(
    () => true,
    () => false,
  );
}

/** Uncompressed size of an image, all layers, in bytes. */
export async function imageBytes(image: string): Promise<number> {
  return Number(await podman(["image", "inspect", "--format", "{{.Size}}", image]));
}

export interface BuildOptions {
  readonly file: string;
  readonly context: string;
  readonly tag: string;
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** "host" where a step downloads packages (npm, apt); "none" otherwise. */
  readonly network: "host" | "none";
  readonly logFile: string;
}

/** `podman build`, its output appended to `logFile`; milliseconds it took. */
export async function buildImage(options: BuildOptions): Promise<number> {
  const args = [
    ...RUNTIME,
    "build",
    "--network",
    options.network,
    ...Object.entries(options.buildArgs ?? {}).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
    "--file",
    options.file,
    "--tag",
    options.tag,
    options.context,
  ];
  const started = performance.now();
  const log = createWriteStream(options.logFile, { flags: "a" });
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn("podman", args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.once("error", reject);
    child.once("exit", resolve);
  });
  log.end();
  if (code !== 0)
    throw new Error(`podman build of ${options.tag} failed (exit ${code}); see ${options.logFile}`);
  return performance.now() - started;
}

/** A Kubernetes quantity as a tmpfs size (256Mi → 256m). */
function tmpfsSize(quantity: string): string {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!match) throw new Error(`unsupported size limit ${quantity}`);
  return `${match[1]}${{ Ki: "k", Mi: "m", Gi: "g" }[match[2] ?? ""] ?? ""}`;
}

export interface ContainerRun {
  /** Container name (podman's, unique on the machine). */
  readonly name: string;
  readonly image: string;
  readonly pod: PodTemplate["spec"];
  readonly container: Container;
  /** Its environment, already mapped to this machine (see local-release.ts). */
  readonly env: Readonly<Record<string, string>>;
  /** Volumes given a host directory (by volume name); every other volume must be an emptyDir. */
  readonly hostVolumes: ReadonlyMap<string, string>;
}

/**
 * `podman run` (attached, so that its exit is the container's and SIGTERM reaches the service)
 * of a rendered container with what the chart asks of it: the pod's user and fsGroup; a
 * read-only root where nothing is writable but the emptyDir volumes, each a tmpfs of its size
 * limit; the other volumes from host directories, read-only where the mount says so; every
 * capability dropped and no privilege escalation; its working directory, environment, command
 * and args. The host network: services listen on their loopback ports, as the local run does.
 */
export function containerLaunch(options: ContainerRun): Launch {
  const { pod, container } = options;
  const user = pod.securityContext;
  if (user?.runAsUser === undefined || user.runAsUser === 0)
    throw new Error(`${container.name} would run as root`);
  const security = container.securityContext ?? {};
  const volumes = container.volumeMounts.flatMap((mount) => {
    const host = options.hostVolumes.get(mount.name);
    if (host) return ["--volume", `${host}:${mount.mountPath}${mount.readOnly ? ":ro" : ""}`];
    const emptyDir = pod.volumes?.find((v) => v.name === mount.name)?.emptyDir;
    if (!emptyDir) throw new Error(`${container.name}: volume ${mount.name} needs a host directory`);
    const size = emptyDir.sizeLimit ? `,size=${tmpfsSize(emptyDir.sizeLimit)}` : "";
    return ["--tmpfs", `${mount.mountPath}:rw,mode=1777${size}`];
  });
  const args = [
    ...RUNTIME,
    "run",
    "--rm",
    "--name",
    options.name,
    "--network",
    "host",
    "--user",
    `${user.runAsUser}:${user.runAsGroup ?? user.runAsUser}`,
    ...(user.fsGroup !== undefined ? ["--group-add", String(user.fsGroup)] : []),
    ...(security.readOnlyRootFilesystem ? ["--read-only", "--read-only-tmpfs=false"] : []),
    ...(security.allowPrivilegeEscalation === false ? ["--security-opt", "no-new-privileges"] : []),
    ...(security.capabilities?.drop ?? []).flatMap((capability) => ["--cap-drop", capability]),
    ...volumes,
    "--workdir",
    container.workingDir,
    ...Object.entries(options.env).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
    options.image,
    ...container.command,
    ...(container.args ?? []),
  ];
  return { program: "podman", args, env: PODMAN_ENV };
}

/** Redis as a container on the host network (loopback, `port`), read-only, without persistence. */
export function redisLaunch(name: string, image: string, port: number): Launch {
  const server = [
    "redis-server",
    "--bind",
    "127.0.0.1",
    "--port",
    String(port),
    "--save",
    "",
    "--appendonly",
    "no",
  ];
  const args = [
    ...RUNTIME,
    "run",
    "--rm",
    "--name",
    name,
    "--network",
    "host",
    "--read-only",
    image,
    ...server,
  ];
  return { program: "podman", args, env: PODMAN_ENV };
}

/**
 * A rendered container run on this machine: as a local process (its command with this machine's
 * node, its working directory and volume mounts mapped to local directories, its environment
 * and nothing else, so that no variable of the test runner leaks in), or as a podman container
 * of the image (test/packaging). Either way its startup probe is polled until it passes.
 */
import { checkHealth } from "@pixellm/service-kit";
import { type Launch, LaunchedProcess } from "./launched-process";
import type { Container } from "./rendered-wiring";

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
      const status = await checkHealth(this.address, service, { timeoutMs: 1000 }).catch(() => "UNKNOWN");
      if (status === "SERVING") return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`${this.name}: startup probe did not pass within ${timeoutMs} ms (log: ${this.logFile})`);
  }
}

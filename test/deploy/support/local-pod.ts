/**
 * A rendered container run as a local process: its command (node from this machine), its
 * working directory and volume mounts mapped to local directories, its environment and
 * nothing else (no variable of the test runner leaks in), and its startup probe polled.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { checkHealth } from "@pixellm/service-kit";
import type { Container } from "./rendered-wiring";

export class LocalPod {
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly name: string,
    readonly container: Container,
    /** The grpc address the probes and clients use (127.0.0.1:<containerPort>). */
    readonly address: string,
    private readonly cwd: string,
    private readonly env: Readonly<Record<string, string>>,
    private readonly logFile: string,
  ) {}

  start(): void {
    const [program, ...rest] = [...this.container.command, ...(this.container.args ?? [])];
    // The image's `node` is this machine's node; everything after it is the rendered command.
    if (program !== "node") throw new Error(`${this.name}: expected a node command, got ${program}`);
    const child = spawn(process.execPath, rest, {
      cwd: this.cwd,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const log = createWriteStream(this.logFile);
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    this.exit = new Promise((resolve) =>
      child.once("exit", (code) => {
        log.end();
        resolve(code);
      }),
    );
    this.child = child;
  }

  /** Polls the health service the rendered startup probe asks for, until SERVING. */
  async started(timeoutMs: number): Promise<void> {
    const service = this.container.startupProbe.grpc.service ?? "";
    let exited = false;
    void this.exit.then(() => (exited = true));
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

  /** SIGTERM as the kubelet sends it; SIGKILL after the pod's grace period. The exit code. */
  async stop(graceMs: number): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return this.exit;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }
}

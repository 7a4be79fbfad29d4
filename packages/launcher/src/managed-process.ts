/**
 * One service process of a local deployment: started with its environment, its output prefixed
 * with its name (or captured), restartable, killable by signal (kill -9 in fault tests). It runs
 * the service's compiled entry point, `node services/<role>/dist/main.js`, as the image and the
 * chart do (`pnpm build` writes it; `pnpm start` and the test setup build first).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from "node:fs";
import path from "node:path";
import { type ChannelSecurity, channelSecurity, checkHealth } from "@pixellm/service-kit";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");

export type Role = "gateway" | "vision-encoder" | "llm" | "pixel-decoder";

/** The compiled entry point of a service (services/<role> is its package). */
function serviceEntry(role: Role): string {
  return path.join(REPO_ROOT, "services", role, "dist/main.js");
}

/** Where a process's output goes: the terminal (prefixed), a log directory, or nowhere. */
export type LogTarget =
  | { readonly kind: "console" }
  | { readonly kind: "directory"; readonly dir: string }
  | { readonly kind: "silent" };

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> = Promise.resolve(null);
  private log: WriteStream | undefined;

  constructor(
    readonly name: string,
    readonly role: Role,
    readonly port: number,
    /** Port of its Prometheus /metrics endpoint. */
    readonly metricsPort: number,
    private readonly env: Readonly<Record<string, string>>,
    private readonly logs: LogTarget,
    /** How its port is reached (TLS and the launcher's client certificate, when the deployment has them). */
    readonly security: ChannelSecurity = channelSecurity(undefined),
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Where its metrics are scraped. */
  get metricsUrl(): string {
    return `http://127.0.0.1:${this.metricsPort}/metrics`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get exited(): Promise<number | null> {
    return this.exit;
  }

  start(): void {
    const entry = serviceEntry(this.role);
    if (!existsSync(entry)) throw new Error(`${entry} does not exist: run \`pnpm build\` first`);
    const child = spawn(process.execPath, ["--enable-source-maps", entry], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...this.env,
        PIXELLM_METRICS_HOST: "127.0.0.1",
        PIXELLM_METRICS_PORT: String(this.metricsPort),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.exit = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    if (this.logs.kind === "directory") {
      if (!this.log) {
        // `pixellm up --log-dir DIR` with a DIR that does not exist yet: made, not an ENOENT.
        mkdirSync(this.logs.dir, { recursive: true });
        this.log = createWriteStream(path.join(this.logs.dir, `${this.name}.log`), { flags: "a" });
      }
      child.stdout.pipe(this.log, { end: false });
      child.stderr.pipe(this.log, { end: false });
    } else if (this.logs.kind === "console") {
      const prefix = `[${this.name}] `;
      const forward = (chunk: Buffer) => process.stderr.write(chunk.toString().replace(/^(?=.)/gm, prefix));
      child.stdout.on("data", forward);
      child.stderr.on("data", forward);
    } else {
      child.stdout.resume();
      child.stderr.resume();
    }
  }

  /** Resolves once the process reports SERVING, or rejects when it exits or `timeoutMs` passes. */
  async ready(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    let exited = false;
    void this.exit.then(() => (exited = true));
    while (Date.now() < until) {
      if (exited)
        throw new Error(
          `${this.name} exited before it became ready${this.logs.kind === "directory" ? ` (see ${this.logs.dir}/${this.name}.log)` : ""}`,
        );
      const status = await checkHealth(this.address, "", { timeoutMs: 1000, security: this.security }).catch(
        () => "UNKNOWN",
      );
      if (status === "SERVING") return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${this.name} did not become ready within ${timeoutMs} ms`);
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    this.child?.kill(signal);
  }

  /** SIGTERM (graceful drain), then SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  closeLog(): void {
    this.log?.end();
  }
}

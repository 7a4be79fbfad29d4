/**
 * A process the deploy tests and the image smoke start (a service, a `podman run`): its output
 * in a log file, its exit code awaited, and SIGTERM then SIGKILL to stop it as the kubelet would.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";

/** What starts the process. */
export interface Launch {
  readonly program: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env: Readonly<Record<string, string>>;
}

export class LaunchedProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly name: string,
    private readonly launch: Launch,
    readonly logFile: string,
  ) {}

  start(): void {
    const child = spawn(this.launch.program, this.launch.args, {
      ...(this.launch.cwd ? { cwd: this.launch.cwd } : {}),
      env: this.launch.env,
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

  /** Its exit code, once it has exited. */
  get exited(): Promise<number | null> {
    return this.exit;
  }

  /** SIGTERM (podman passes it on to the container); SIGKILL after `graceMs`. The exit code. */
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

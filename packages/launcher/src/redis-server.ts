/**
 * A private `redis-server` on a free loopback port, for tests and benchmarks that kill Redis or
 * measure it (never the machine's shared Redis). Its data lives in a directory of its own with
 * the append-only file on and fsynced on every write, so a kill -9 and a restart from the AOF
 * lose nothing that Redis acknowledged: the durability a production Redis for PixelLM needs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { freePort } from "./free-port";

export interface RedisServerOptions {
  /** Where the AOF and any dump live (kept across restarts). */
  readonly dir: string;
  /** `always` (default) fsyncs each write; `everysec` may lose the last second. */
  readonly appendfsync?: "always" | "everysec";
  readonly readyTimeoutMs?: number;
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private exit: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {}

  /** Starts one and waits until it answers PING. */
  static async start(options: RedisServerOptions): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether the process is alive (not killed, not exited). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it (again, after a kill: it replays its AOF) and waits until it serves commands. */
  async restart(): Promise<void> {
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.options.dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        this.options.appendfsync ?? "always",
        "--save",
        "",
        // BullMQ requires it: evicting queue keys would corrupt jobs.
        "--maxmemory-policy",
        "noeviction",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", (error) => (stderr += error.message));
    this.child = child;
    this.exit = new Promise((resolve) => child.once("exit", () => resolve()));
    const until = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    while (Date.now() < until) {
      if (!this.running) throw new Error(`redis-server on port ${this.port} exited: ${stderr.trim()}`);
      // Replaying the AOF answers -LOADING: ready only once PING gets +PONG.
      if ((await ping(this.port)) === "+PONG") return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`redis-server on port ${this.port} did not answer PING within the timeout`);
  }

  /** kill -9: no chance to flush anything but what the AOF already holds. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill("SIGKILL");
    await this.exit;
  }

  /** SIGTERM and wait for the exit. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child!.kill("SIGTERM");
    await this.exit;
  }
}

/** The first line of Redis's answer to PING, or "" when it does not answer. */
function ping(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    const done = (line: string) => {
      socket.destroy();
      resolve(line);
    };
    socket.setTimeout(1000, () => done(""));
    socket.once("error", () => done(""));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      answer += chunk.toString();
      if (answer.includes("\r\n")) done(answer.split("\r\n")[0]!);
    });
  });
}

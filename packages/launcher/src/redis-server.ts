/**
 * A private `redis-server` on a free loopback port, for tests and benchmarks that kill Redis or
 * measure it (never the machine's shared Redis). Its data lives in a directory of its own with
 * the append-only file on and fsynced on every write by default, so a kill -9 and a restart from
 * the AOF lose nothing that Redis acknowledged: the durability a production Redis for PixelLM
 * needs. Tests of what goes wrong elsewhere turn the AOF off, add a password and TLS, or pass
 * any other server argument.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { freePort } from "./free-port";

export interface RedisServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA clients verify the server's certificate against. */
  readonly caFile: string;
}

export interface RedisServerOptions {
  /** Where the AOF lives (kept across restarts); default: a new temporary directory. */
  readonly dir?: string;
  /** `false`: no AOF, so a restart after a kill comes back empty (default `true`). */
  readonly appendonly?: boolean;
  /** `always` (default) fsyncs each write; `everysec` may lose the last second. */
  readonly appendfsync?: "always" | "everysec";
  /** requirepass: clients must AUTH (the password is not in `url`). */
  readonly password?: string;
  /** TLS only (no plain port): `url` is rediss://. */
  readonly tls?: RedisServerTls;
  /** More `redis-server` arguments, after the defaults so they override them, e.g. `["--maxmemory-policy", "allkeys-lru"]`. */
  readonly extraArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private exit: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    /** Where its data lives. */
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  /** Starts one and waits until it answers PING. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), "pixellm-redis-")));
    const server = new RedisServer(await freePort(), dir, options);
    await server.restart();
    return server;
  }

  /** The URL a client uses (rediss:// with TLS). */
  get url(): string {
    return `${this.options.tls ? "rediss" : "redis"}://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether the process is alive (not killed, not exited). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts it (again, after a kill: the same port, directory and arguments, so it replays its
   * AOF) and waits until it serves commands.
   */
  async restart(): Promise<void> {
    const child = spawn("redis-server", this.serverArgs(), { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", (error) => (stderr += error.message));
    this.child = child;
    this.exit = new Promise((resolve) => child.once("exit", () => resolve()));
    const readyTimeoutMs = this.options.readyTimeoutMs ?? 30_000;
    const until = Date.now() + readyTimeoutMs;
    const connect = this.connector();
    let answer = "";
    while (Date.now() < until) {
      if (!this.running) throw new Error(`redis-server on port ${this.port} exited: ${stderr.trim()}`);
      // Replaying the AOF answers -LOADING: ready only once PING gets +PONG.
      answer = await ping(connect, this.options.password);
      if (answer === "+PONG") return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(
      `redis-server on port ${this.port} did not answer PING within ${readyTimeoutMs} ms (last answer: ${answer || "none"})`,
    );
  }

  /** kill -9: no chance to flush anything but what the AOF already holds. */
  async kill9(): Promise<void> {
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

  private serverArgs(): string[] {
    const { password, tls: files } = this.options;
    const listen = files
      ? ["--port", "0", "--tls-port", String(this.port), "--tls-cert-file", files.certFile]
      : ["--port", String(this.port)];
    return [
      ...listen,
      ...(files
        ? ["--tls-key-file", files.keyFile, "--tls-ca-cert-file", files.caFile, "--tls-auth-clients", "no"]
        : []),
      ...(password ? ["--requirepass", password] : []),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--appendonly",
      this.options.appendonly === false ? "no" : "yes",
      "--appendfsync",
      this.options.appendfsync ?? "always",
      "--save",
      "",
      // BullMQ requires it: evicting queue keys would corrupt jobs.
      "--maxmemory-policy",
      "noeviction",
      ...(this.options.extraArgs ?? []),
    ];
  }

  /** Opens a connection to it: plain, or TLS verified against the test's CA. */
  private connector(): () => net.Socket {
    const files = this.options.tls;
    if (!files) return () => net.connect(this.port, "127.0.0.1");
    const ca = readFileSync(files.caFile);
    return () => tls.connect({ host: "127.0.0.1", port: this.port, ca });
  }
}

/**
 * Redis's answer to PING (after AUTH with `password`): +PONG, the first error line (e.g.
 * -LOADING, -WRONGPASS), or "" when it does not answer.
 */
function ping(connect: () => net.Socket, password: string | undefined): Promise<string> {
  const commands = [...(password ? [["AUTH", password]] : []), ["PING"]];
  return new Promise((resolve) => {
    const socket = connect();
    let answer = "";
    const done = (line: string) => {
      socket.destroy();
      resolve(line);
    };
    socket.setTimeout(1000, () => done(""));
    socket.once("error", () => done(""));
    socket.once(socket instanceof tls.TLSSocket ? "secureConnect" : "connect", () =>
      socket.write(commands.map(command).join("")),
    );
    socket.on("data", (chunk) => {
      answer += chunk.toString();
      // Each command answers one line (+OK, +PONG, -LOADING, -WRONGPASS): PING's is the last.
      const lines = answer.split("\r\n");
      if (lines.length <= commands.length) return; // not all answered yet
      const answers = lines.slice(0, commands.length);
      done(answers.find((line) => line.startsWith("-")) ?? answers.at(-1)!);
    });
  });
}

/** A command in RESP, so that a password with spaces stays one argument. */
function command(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join("")}`;
}

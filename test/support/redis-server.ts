/**
 * A Redis server of a test's own, on a free port with its data in a temporary directory, for
 * tests that must kill or restart Redis (the machine's shared Redis is never touched). It is
 * stopped by its pid; a restart reuses the port, the directory and the arguments, so Redis
 * reloads its append-only file.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { freePort } from "@pixellm/launcher";
import { Redis } from "ioredis";
import { tempDir } from "./tiny-bundle";

export interface RedisServerOptions {
  /** requirepass: clients must AUTH. */
  readonly password?: string;
  /** TLS only (no plain port), with this certificate and key; clients verify against `caFile`. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: readonly string[],
    private readonly options: RedisServerOptions,
  ) {}

  /** Starts `redis-server` with `args` (e.g. ["--appendonly", "yes"]) and waits until it answers. */
  static async start(args: readonly string[], options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), await tempDir("redis"), args, options);
    await server.restart();
    return server;
  }

  /** The URL a client uses (rediss:// with TLS; the password is not in it). */
  get url(): string {
    return `${this.options.tls ? "rediss" : "redis"}://127.0.0.1:${this.port}`;
  }

  private serverArgs(): string[] {
    const { password, tls } = this.options;
    const listen = tls
      ? ["--port", "0", "--tls-port", String(this.port), "--tls-cert-file", tls.certFile]
      : ["--port", String(this.port)];
    return [
      ...listen,
      ...(tls
        ? ["--tls-key-file", tls.keyFile, "--tls-ca-cert-file", tls.caFile, "--tls-auth-clients", "no"]
        : []),
      ...(password ? ["--requirepass", password] : []),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--save",
      "",
      ...this.args,
    ];
  }

  /** (Re)starts the server on its port and directory and waits until it has loaded its data. */
  async restart(): Promise<void> {
    const child = spawn("redis-server", this.serverArgs(), { stdio: "ignore" });
    this.child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`redis-server exited (${code}) on port ${this.port}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([this.answering(), exited]);
  }

  /** kill -9: no shutdown, no final write. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(child.pid, "SIGKILL");
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(child.pid, "SIGTERM");
    await exited;
  }

  /** PONG, not LOADING: the data is back. */
  private async answering(timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { password, tls } = this.options;
      const client = new Redis(this.port, "127.0.0.1", {
        ...(password ? { password } : {}),
        ...(tls ? { tls: { ca: readFileSync(tls.caFile) } } : {}),
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on("error", () => undefined); // a refused connect also rejects connect() below
      try {
        await client.connect();
        if ((await client.ping()) === "PONG") return;
      } catch (error) {
        if (Date.now() > until) throw error;
      } finally {
        client.disconnect();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

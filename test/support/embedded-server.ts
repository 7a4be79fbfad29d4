/**
 * `pixellm serve` as developers run it: the embedded server as a child process from source, its
 * gRPC and /metrics ports read from what it prints, stopped with SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { FROM_SOURCE } from "../../scripts/build/entry-points";

const MAIN = path.join(import.meta.dirname, "../../packages/cli/src/main.ts");

export interface EmbeddedServer {
  readonly address: string;
  /** The server process (its memory can be read from /proc/<pid>/status). */
  readonly pid: number;
  readonly metricsUrl: string;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function startEmbeddedServer(
  bundleDir: string,
  env: Record<string, string> = {},
  timeoutMs = 240_000,
  /** More `serve` options (--host, --tls-cert, …). */
  args: readonly string[] = [],
): Promise<EmbeddedServer> {
  const child = spawn(
    process.execPath,
    [...FROM_SOURCE, MAIN, "serve", "--model", bundleDir, "--port", "0", ...args],
    {
      env: { ...process.env, PIXELLM_METRICS_PORT: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const ports = await new Promise<{ grpc: number; metrics: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pixellm serve did not start:\n${output}`)), timeoutMs);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      // The bound address as printed (127.0.0.1:N, or 0.0.0.0:N with --host 0.0.0.0); reached on loopback.
      const grpcPort = /serving on [^ ]+:(\d+) /.exec(output)?.[1];
      const metricsPort = /"msg":"metrics listening","port":(\d+)/.exec(output)?.[1];
      if (grpcPort && metricsPort) {
        clearTimeout(timer);
        resolve({ grpc: Number(grpcPort), metrics: Number(metricsPort) });
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`pixellm serve exited (${code ?? signal}):\n${output}`));
    });
  });
  return {
    address: `127.0.0.1:${ports.grpc}`,
    pid: child.pid!,
    metricsUrl: `http://127.0.0.1:${ports.metrics}/metrics`,
    output: () => output,
    stop: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

import { readFileSync } from "node:fs";
import net from "node:net";

/**
 * Ports are picked below the kernel's ephemeral range: a port the kernel hands out for `listen(0)`
 * can be taken again, between our probe and the child's bind, by any outgoing connection (a Redis
 * or gRPC client), which made services fail with EADDRINUSE under load. Below the range, only
 * another listener can take it, and a random pick makes two launchers colliding unlikely.
 */
const LOWEST_PORT = 10_000;
const ATTEMPTS = 50;

function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    return Number(low);
  } catch {
    return 32_768; // Linux's default; macOS's range starts higher still.
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1, outside the ephemeral range, that was free a moment ago. */
export async function freePort(): Promise<number> {
  const highest = ephemeralRangeStart() - 1;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (highest - LOWEST_PORT + 1));
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port found in ${LOWEST_PORT}-${highest} after ${ATTEMPTS} attempts`);
}

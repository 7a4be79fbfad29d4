import net from "node:net";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { freePort } from "../src/free-port";

const ephemeralStart = Number(
  readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0],
);

describe("freePort", () => {
  it("picks distinct-enough ports below the ephemeral range that can be bound", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralStart);
    }
    // Random picks over ~22k ports: 20 draws should almost never repeat more than once.
    expect(new Set(ports).size).toBeGreaterThanOrEqual(19);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(ports[0], "127.0.0.1", resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

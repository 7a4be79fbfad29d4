/**
 * `pixellm serve` binds what it prints: loopback by default, every interface only when asked
 * (--host 0.0.0.0), and TLS when given a certificate. What is bound is read from the kernel's
 * socket table (/proc/net/tcp and tcp6), not from the process's own words.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { PixelLMClient } from "@pixellm/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pixellm } from "../support/cli";
import { type EmbeddedServer, startEmbeddedServer } from "../support/embedded-server";
import { type TestCertificates, makeTestCertificates } from "../support/test-certificates";
import { type TinyBundle, makeTinyBundle } from "../support/tiny-bundle";

const SHAPES = path.join(import.meta.dirname, "../../examples/shapes.png");

/** Local addresses (hex, as the kernel writes them) of the sockets listening on `port`. */
async function listeningAddresses(port: number): Promise<string[]> {
  const LISTEN = "0A";
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const found: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const rows = (await readFile(table, "utf8")).trim().split("\n").slice(1);
    for (const row of rows) {
      const [, local, , state] = row.trim().split(/\s+/);
      const [address, localPort] = (local ?? "").split(":");
      if (localPort === hexPort && state === LISTEN && address) found.push(address);
    }
  }
  return found;
}

const portOf = (server: EmbeddedServer) => Number(server.address.split(":")[1]);

let tiny: TinyBundle;
beforeAll(async () => {
  tiny = await makeTinyBundle();
}, 120_000);

describe("pixellm serve by default", () => {
  let server: EmbeddedServer;
  beforeAll(async () => {
    server = await startEmbeddedServer(tiny.bundleDir);
  }, 240_000);
  afterAll(() => server?.stop());

  it("listens on 127.0.0.1 only, as it prints", async () => {
    const port = portOf(server);
    expect(server.output()).toContain(`serving on 127.0.0.1:${port} (embedded)`);
    // 0100007F is 127.0.0.1 in the kernel's byte order; no wildcard (00000000, ::) socket.
    expect(await listeningAddresses(port)).toEqual(["0100007F"]);
  });
});

describe("pixellm serve --host 0.0.0.0 --tls-cert --tls-key --tls-client-ca", () => {
  let certs: TestCertificates;
  let server: EmbeddedServer;
  beforeAll(async () => {
    certs = await makeTestCertificates();
    server = await startEmbeddedServer(tiny.bundleDir, {}, 240_000, [
      "--host",
      "0.0.0.0",
      "--tls-cert",
      certs.server.cert,
      "--tls-key",
      certs.server.key,
      "--tls-client-ca",
      certs.ca,
    ]);
  }, 240_000);
  afterAll(() => server?.stop());

  it("listens on every interface and says so, with TLS and client certificates", async () => {
    const port = portOf(server);
    expect(server.output()).toContain(
      `serving on 0.0.0.0:${port} (embedded, every interface, TLS with client certificates)`,
    );
    expect(await listeningAddresses(port)).toEqual(["00000000"]);
  });

  it("answers `pixellm client segment --tls-ca --tls-cert --tls-key`; refuses no certificate and plaintext", async () => {
    const segment = (tlsFlags: string[]) =>
      pixellm([
        "client",
        "segment",
        "--address",
        server.address,
        ...tlsFlags,
        "--image",
        SHAPES,
        "--query",
        "Please segment the red ball.",
        "--json",
      ]);
    const result = await segment([
      "--tls-ca",
      certs.ca,
      "--tls-cert",
      certs.client.cert,
      "--tls-key",
      certs.client.key,
    ]);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { text: string }).text.length).toBeGreaterThan(0);
    const withoutCertificate = await segment(["--tls-ca", certs.ca]);
    expect(withoutCertificate.code).not.toBe(0);
    expect(withoutCertificate.stderr).toMatch(/UNAVAILABLE/);
    const plaintext = new PixelLMClient(server.address);
    try {
      await expect(
        plaintext.segment(
          { image: await readFile(SHAPES), query: "Segment the ball." },
          { timeoutMs: 10_000 },
        ),
      ).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      plaintext.close();
    }
  });
});

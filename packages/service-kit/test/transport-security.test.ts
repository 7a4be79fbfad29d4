/**
 * The credentials module on both ends of a real loopback connection: a ServiceHost with TLS or
 * mutual TLS, probed with grpc.health.v1 through `channelSecurity`. The certificates are a
 * throwaway PKI made with openssl (test/support/test-certificates.ts).
 */
import { copyFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { status } from "@grpc/grpc-js";
import {
  type ClientTls,
  ConfigError,
  ServiceHost,
  type ServerTls,
  channelSecurity,
  checkHealth,
  connectionLimits,
  createLogger,
  listServices,
  loadConfig,
  processSettings,
  serverTlsOf,
  serverTlsSettings,
  stageClientTlsOf,
  stageClientTlsSettings,
} from "@pixellm/service-kit";
import { freePort } from "@pixellm/launcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestCertificates, makeTestCertificates } from "../../../test/support/test-certificates";

let certs: TestCertificates;
const hosts: ServiceHost[] = [];

beforeAll(async () => {
  certs = await makeTestCertificates();
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.shutdown(() => Promise.resolve(), 1000)));
});

async function serve(tls: ServerTls | undefined, healthPort?: number): Promise<string> {
  const host = await ServiceHost.start({
    host: "127.0.0.1",
    port: 0,
    services: [],
    maxMessageBytes: 2 ** 20,
    connections: connectionLimits(loadConfig(processSettings(), {})),
    logger: createLogger({ service: "tls-test", level: "error" }),
    tls,
    healthPort,
  });
  host.setReady(true);
  hosts.push(host);
  return `127.0.0.1:${host.port}`;
}

function probe(address: string, tls: ClientTls | undefined) {
  return checkHealth(address, "", { timeoutMs: 3000, security: channelSecurity(tls) });
}

const REFRESH = { refreshMs: 60_000 };

describe("mutual TLS (a server with a client CA)", () => {
  let address: string;
  beforeAll(async () => {
    address = await serve({
      certFile: certs.server.cert,
      keyFile: certs.server.key,
      clientCaFile: certs.ca,
      ...REFRESH,
    });
  });

  it("answers a caller with a client certificate the CA signed", async () => {
    const caller = { caFile: certs.ca, certFile: certs.client.cert, keyFile: certs.client.key, ...REFRESH };
    expect(await probe(address, caller)).toBe("SERVING");
  });

  it.each([
    ["no client certificate", () => ({ caFile: certs.ca, ...REFRESH })],
    [
      "a client certificate from another CA",
      () => ({ caFile: certs.ca, certFile: certs.untrusted.cert, keyFile: certs.untrusted.key, ...REFRESH }),
    ],
    ["plaintext", () => undefined],
  ])("refuses a caller with %s (UNAVAILABLE, no reply)", async (_, caller) => {
    await expect(probe(address, caller())).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });
});

describe("TLS without client certificates", () => {
  let address: string;
  beforeAll(async () => {
    address = await serve({ certFile: certs.server.cert, keyFile: certs.server.key, ...REFRESH });
  });

  it("answers a caller that trusts the CA", async () => {
    expect(await probe(address, { caFile: certs.ca, ...REFRESH })).toBe("SERVING");
  });

  it("checks the expected server name: the override the certificate carries passes, another fails", async () => {
    expect(await probe(address, { caFile: certs.ca, serverName: certs.serverName, ...REFRESH })).toBe(
      "SERVING",
    );
    await expect(
      probe(address, { caFile: certs.ca, serverName: "gateway.elsewhere.test", ...REFRESH }),
    ).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  it("is refused by a caller that trusts another CA", async () => {
    const otherCa = path.join(certs.dir, "other-ca.crt");
    await expect(probe(address, { caFile: otherCa, ...REFRESH })).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
  });
});

describe("the plaintext health port of a TLS server", () => {
  it("answers health checks without TLS, and serves nothing else", async () => {
    const healthPort = await freePort();
    const address = await serve(
      { certFile: certs.server.cert, keyFile: certs.server.key, clientCaFile: certs.ca, ...REFRESH },
      healthPort,
    );
    expect(await checkHealth(`127.0.0.1:${healthPort}`, "", { timeoutMs: 3000 })).toBe("SERVING");
    expect(await checkHealth(`127.0.0.1:${healthPort}`, "liveness", { timeoutMs: 3000 })).toBe("SERVING");
    // Reflection (served on the TLS port) is not on the health port.
    await expect(listServices(`127.0.0.1:${healthPort}`, { timeoutMs: 3000 })).rejects.toMatchObject({
      code: status.UNIMPLEMENTED,
    });
    // The TLS port answers reflection (an empty list: this host serves no service of its own).
    const caller = { caFile: certs.ca, certFile: certs.client.cert, keyFile: certs.client.key, ...REFRESH };
    await expect(
      listServices(address, { timeoutMs: 3000, security: channelSecurity(caller) }),
    ).resolves.toEqual([]);
  });
});

describe("TLS settings", () => {
  const server = serverTlsSettings("VISION");
  const load = (env: Record<string, string>) => serverTlsOf(loadConfig(server, env));

  it("is plaintext when nothing is set", () => {
    expect(load({})).toBeUndefined();
    expect(stageClientTlsOf(loadConfig(stageClientTlsSettings(), {}))).toBeUndefined();
  });

  it("names the setting of a file that cannot be read", () => {
    expect(() =>
      load({ VISION_TLS_CERT: "/nonexistent/server.crt", VISION_TLS_KEY: certs.server.key }),
    ).toThrow(/VISION_TLS_CERT="\/nonexistent\/server.crt" is invalid: cannot be read \(ENOENT\)/);
  });

  it("refuses a certificate without its key, and a client CA without a certificate", () => {
    expect(() => load({ VISION_TLS_CERT: certs.server.cert })).toThrow(ConfigError);
    expect(() => load({ VISION_TLS_CLIENT_CA: certs.ca })).toThrow(/\*_TLS_CERT and \*_TLS_KEY/);
  });

  it("refuses a CA file that holds no certificate (a TLS context would take it silently)", async () => {
    const garbage = path.join(certs.dir, "not-a-ca.pem");
    await writeFile(garbage, "not a certificate\n");
    expect(() =>
      load({
        VISION_TLS_CERT: certs.server.cert,
        VISION_TLS_KEY: certs.server.key,
        VISION_TLS_CLIENT_CA: garbage,
      }),
    ).toThrow(new RegExp(`TLS files .*${garbage}: not a usable PEM`));
    expect(() => stageClientTlsOf(loadConfig(stageClientTlsSettings(), { STAGE_TLS_CA: garbage }))).toThrow(
      ConfigError,
    );
  });

  it("refuses a key that does not belong to the certificate, naming the files", () => {
    expect(() => load({ VISION_TLS_CERT: certs.server.cert, VISION_TLS_KEY: certs.client.key })).toThrow(
      new RegExp(`TLS files ${certs.server.cert}, ${certs.client.key}: not a usable PEM`),
    );
  });

  it("takes the gateway's stage settings, and needs the CA with any of them", () => {
    const settings = stageClientTlsSettings();
    expect(
      stageClientTlsOf(
        loadConfig(settings, {
          STAGE_TLS_CA: certs.ca,
          STAGE_TLS_CERT: certs.client.cert,
          STAGE_TLS_KEY: certs.client.key,
          STAGE_TLS_SERVER_NAME: certs.serverName,
        }),
      ),
    ).toEqual({
      caFile: certs.ca,
      certFile: certs.client.cert,
      keyFile: certs.client.key,
      serverName: certs.serverName,
      refreshMs: 60_000,
    });
    expect(() =>
      stageClientTlsOf(
        loadConfig(settings, { STAGE_TLS_CERT: certs.client.cert, STAGE_TLS_KEY: certs.client.key }),
      ),
    ).toThrow(/STAGE_TLS_CA is required/);
  });
});

describe("certificate rotation", () => {
  it("serves a certificate written over the old files after the refresh interval, without a restart", async () => {
    // The server starts with a certificate signed by the untrusted CA; the caller trusts only
    // the test CA, so it is refused until the files are replaced by the test CA's certificate.
    const dir = certs.dir;
    const cert = path.join(dir, "rotating.crt");
    const key = path.join(dir, "rotating.key");
    await copyFile(path.join(dir, "untrusted.crt"), cert);
    await copyFile(path.join(dir, "untrusted.key"), key);
    const address = await serve({ certFile: cert, keyFile: key, refreshMs: 1000 });
    const caller = { caFile: certs.ca, ...REFRESH };
    await expect(probe(address, caller)).rejects.toMatchObject({ code: status.UNAVAILABLE });
    await copyFile(certs.server.cert, cert);
    await copyFile(certs.server.key, key);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // two refresh intervals
    expect(await probe(address, caller)).toBe("SERVING");
  });
});

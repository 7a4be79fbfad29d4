/**
 * Transport security end to end: a local deployment (one replica per stage, one gateway, real
 * Redis under a key prefix of its own) with TLS on every port and mutual TLS between the gateway
 * and the stages, certificates from a throwaway openssl CA. The public port is called with
 * @pixellm/client, the `pixellm client` command and a Python grpcio client, which must agree.
 */
import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { type StageInfo__Output, services } from "@pixellm/api";
import { PixelLMClient } from "@pixellm/client";
import { stageInfo } from "@pixellm/launcher";
import { channelSecurity, unaryCall } from "@pixellm/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pixellm } from "../support/cli";
import { type TestDeployment, startTestDeployment } from "../support/deployment";
import { type TestCertificates, makeTestCertificates } from "../support/test-certificates";

const SHAPES = path.join(import.meta.dirname, "../../examples/shapes.png");
const PYTHON_CLIENT = path.join(import.meta.dirname, "../../examples/client/segment.py");
const QUERY = "Please segment the red ball.";

let certs: TestCertificates;
let env: TestDeployment;
let gateway: string;
/** The answer through @pixellm/client over TLS, which the other clients must repeat. */
let reference: { text: string; targets: number };

beforeAll(async () => {
  certs = await makeTestCertificates();
  env = await startTestDeployment({
    replicas: 1,
    gateways: 1,
    tls: {
      caFile: certs.ca,
      server: { certFile: certs.server.cert, keyFile: certs.server.key },
      client: { certFile: certs.client.cert, keyFile: certs.client.key },
    },
  });
  gateway = env.deployment.gatewayAddresses[0]!;
}, 240_000);

afterAll(async () => {
  await env?.deployment.stop();
});

/** A stage's Info RPC over a channel made with `security`. */
async function callVisionInfo(security: ReturnType<typeof channelSecurity>): Promise<StageInfo__Output> {
  const address = env.deployment.byRole("vision-encoder")[0]!.address;
  const client = new (services().VisionEncoder)(address, security.credentials, security.options);
  try {
    return await unaryCall<StageInfo__Output>((callback) =>
      client.Info({}, { deadline: Date.now() + 5000 }, callback),
    );
  } finally {
    client.close();
  }
}

describe("mutual TLS between the gateway and the stages", () => {
  it("answers a Segment request through every stage with certificates (@pixellm/client over TLS)", async () => {
    const client = new PixelLMClient(gateway, { tls: { ca: await readFile(certs.ca) } });
    try {
      const response = await client.segment(
        { image: await readFile(SHAPES), query: QUERY },
        { timeoutMs: 60_000 },
      );
      expect(response.text.length).toBeGreaterThan(0);
      expect(response.timings?.totalMs).toBeGreaterThan(0);
      reference = { text: response.text, targets: response.targets.length };
    } finally {
      client.close();
    }
  });

  it("a stage refuses a caller without a client certificate, or with one from another CA, and logs nothing sensitive", async () => {
    const log = path.join(env.logDir, "vision-0.log");
    const logBefore = (await stat(log)).size;
    const refusals = [
      channelSecurity({ caFile: certs.ca, refreshMs: 60_000 }),
      channelSecurity({
        caFile: certs.ca,
        certFile: certs.untrusted.cert,
        keyFile: certs.untrusted.key,
        refreshMs: 60_000,
      }),
      channelSecurity(undefined),
    ];
    for (const security of refusals)
      await expect(callVisionInfo(security)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    // The launcher's probes present the gateway's client certificate: the same stage answers them.
    expect((await stageInfo(env.deployment.byRole("vision-encoder")[0]!)).stage).toBe("vision-encoder");
    const written = (await readFile(log)).subarray(logBefore).toString();
    expect(written).not.toMatch(/BEGIN|PRIVATE KEY|-----/);
    expect(written).not.toContain(certs.dir);
  });
});

/** `pixellm client segment --json` against the gateway over TLS, with `extra` arguments. */
function clientSegment(...extra: string[]): ReturnType<typeof pixellm> {
  return pixellm([
    "client",
    "segment",
    "--address",
    gateway,
    "--tls-ca",
    certs.ca,
    ...extra,
    "--image",
    SHAPES,
    "--query",
    QUERY,
    "--json",
  ]);
}

describe("TLS on the gateway's public port", () => {
  it("refuses a plaintext client (UNAVAILABLE)", async () => {
    const client = new PixelLMClient(gateway);
    try {
      await expect(
        client.segment({ image: await readFile(SHAPES), query: QUERY }, { timeoutMs: 10_000 }),
      ).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      client.close();
    }
  });

  it("answers `pixellm client segment --tls-ca` with the same answer", async () => {
    const result = await clientSegment();
    // Node may warn (DEP0123) that an IP address is not sent as TLS SNI; nothing else is printed.
    expect(result.stderr.replace(/^.*(DEP0123|--trace-deprecation).*\n/gm, "")).toBe("");
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout) as { text: string; targets: unknown[] };
    expect({ text: answer.text, targets: answer.targets.length }).toEqual(reference);
  });

  it("answers `pixellm client` with --tls-server-name (the name the certificate carries, not the address)", async () => {
    const result = await clientSegment("--tls-server-name", certs.serverName);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { text: string }).text).toBe(reference.text);
  });

  it("answers a Python grpcio client with the same answer", async () => {
    const { stdout } = await promisify(execFile)(
      "/usr/bin/python3",
      [PYTHON_CLIENT, gateway, SHAPES, QUERY, "--tls-ca", certs.ca, "--timeout", "60"],
      { timeout: 90_000 },
    );
    const answer = JSON.parse(stdout) as { text: string; targets: { area: number }[] };
    expect({ text: answer.text, targets: answer.targets.length }).toEqual(reference);
  });

  it("a Python grpcio client that trusts another CA is refused (UNAVAILABLE)", async () => {
    const otherCa = path.join(certs.dir, "other-ca.crt");
    const run = promisify(execFile)(
      "/usr/bin/python3",
      [PYTHON_CLIENT, gateway, SHAPES, QUERY, "--tls-ca", otherCa, "--timeout", "10"],
      { timeout: 30_000 },
    );
    const failure = (await run.then(
      () => undefined,
      (error: unknown) => error,
    )) as { stderr: string } | undefined;
    expect(failure?.stderr).toMatch(/StatusCode\.UNAVAILABLE/);
  });
});

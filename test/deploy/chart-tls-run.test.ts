/**
 * The chart's TLS wiring, run: helm/pixellm rendered with TLS on the public port and mutual TLS
 * between the gateway and the stages, each rendered Deployment started as a local process (as
 * test/deploy/chart-local-run.test.ts does) with its Secret volumes standing in as directories
 * that hold what a Secret of a throwaway openssl CA would (tls.crt, tls.key, ca.crt). The pods
 * turn ready through their rendered probes on the plaintext health port, the gateway answers a
 * TLS client as the in-process engine does, and a stage refuses a caller without a certificate.
 */
import { copyFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { type StageInfo__Output, services } from "@pixellm/api";
import { PixelLMClient } from "@pixellm/client";
import { PixelLMEngine } from "@pixellm/engine";
import { channelSecurity, checkHealth, unaryCall } from "@pixellm/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_URL } from "../support/deployment";
import { expectEngineAnswer } from "../support/served-answer";
import { type CertPair, type TestCertificates, makeTestCertificates } from "../support/test-certificates";
import { type TinyBundle, makeTinyBundle, tempDir } from "../support/tiny-bundle";
import { API_KEY, renderLocalRelease } from "./support/local-release";
import { type LocalPod, localPodOf } from "./support/local-pod";
import { type K8sObject, ofKind } from "./support/manifests";
import { onlyContainer } from "./support/rendered-wiring";

let tiny: TinyBundle;
let certs: TestCertificates;
let objects: K8sObject[];
let pods: LocalPod[] = [];
let engine: PixelLMEngine | undefined;

const pod = (suffix: string) => pods.find((p) => p.name.endsWith(`-${suffix}`))!;

/** A directory laid out like a mounted TLS Secret. */
async function secretDir(name: string, pair: CertPair): Promise<string> {
  const dir = path.join(certs.dir, "secrets", name);
  await mkdir(dir, { recursive: true });
  await copyFile(pair.cert, path.join(dir, "tls.crt"));
  await copyFile(pair.key, path.join(dir, "tls.key"));
  await copyFile(certs.ca, path.join(dir, "ca.crt"));
  return dir;
}

beforeAll(async () => {
  [tiny, certs] = await Promise.all([makeTinyBundle(), makeTestCertificates()]);
  const work = await tempDir("chart-tls-run");
  ({ objects } = await renderLocalRelease({
    modelRoot: tiny.root,
    bundlePath: path.relative(tiny.root, tiny.bundleDir),
    redisUrl: REDIS_URL,
    keyPrefix: `deploy-${path.basename(work)}`,
    workDir: work,
    values: {
      // The gateway reaches the stages by address and expects this name of their certificates.
      tls: { gateway: { enabled: true }, internal: { enabled: true, serverName: certs.serverName } },
    },
  }));
  const serverSecret = await secretDir("server", certs.server);
  const gatewayClientSecret = await secretDir("gateway-client", certs.client);
  const logDir = path.join(work, "logs");
  await mkdir(logDir);
  pods = await Promise.all(
    ofKind(objects, "Deployment").map(async (deployment) => {
      const isGateway = deployment.metadata.name.endsWith("-gateway");
      const standIns = new Map([
        ["model", tiny.root],
        ["tmp", await tempDir(`${deployment.metadata.name}-tmp`)],
        ["tls-public", serverSecret],
        ["tls-internal", isGateway ? gatewayClientSecret : serverSecret],
      ]);
      return localPodOf(deployment, objects, standIns, logDir);
    }),
  );
  for (const p of pods) p.start();
  await Promise.all(pods.map((p) => p.started(120_000)));
  engine = await PixelLMEngine.load(tiny.bundleDir);
}, 240_000);

afterAll(async () => {
  await engine?.close();
  await Promise.all(pods.map((p) => p.stop(5_000)));
});

describe("the chart with TLS, run as local processes", () => {
  it("probes every pod on its plaintext health port (ready and live) while its gRPC port speaks TLS only", async () => {
    expect(pods).toHaveLength(4);
    for (const p of pods) {
      expect(p.probeAddress).not.toBe(p.address);
      const container = onlyContainer(ofKind(objects, "Deployment").find((d) => d.metadata.name === p.name)!);
      expect(await checkHealth(p.probeAddress, container.readinessProbe.grpc.service ?? "")).toBe("SERVING");
      expect(await checkHealth(p.probeAddress, container.livenessProbe.grpc.service ?? "")).toBe("SERVING");
      await expect(checkHealth(p.address, "", { timeoutMs: 3000 })).rejects.toMatchObject({
        code: grpc.status.UNAVAILABLE,
      });
    }
  });

  it("segments an image through the gateway over TLS, through every stage over mutual TLS", async () => {
    const client = new PixelLMClient(pod("gateway").address, {
      apiKey: API_KEY,
      tls: { ca: await readFile(certs.ca) },
    });
    try {
      await expectEngineAnswer(client, engine!, 60_000);
    } finally {
      client.close();
    }
  });

  it("has stages that refuse a caller without the client certificate and answer one with it", async () => {
    const address = pod("llm").address;
    const info = (security: ReturnType<typeof channelSecurity>) => {
      const client = new (services().LLMGenerator)(address, security.credentials, security.options);
      return unaryCall<StageInfo__Output>((callback) =>
        client.Info({}, { deadline: Date.now() + 5000 }, callback),
      ).finally(() => client.close());
    };
    const trust = { caFile: certs.ca, serverName: certs.serverName, refreshMs: 60_000 };
    await expect(info(channelSecurity(trust))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const withCertificate = channelSecurity({
      ...trust,
      certFile: certs.client.cert,
      keyFile: certs.client.key,
    });
    expect((await info(withCertificate)).stage).toBe("llm");
  });
});

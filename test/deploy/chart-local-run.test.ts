/**
 * The chart, run: render helm/pixellm with values that point at this machine's Redis and a
 * generated tiny bundle, then start every rendered Deployment's container as a local process —
 * its command, working directory, environment (ConfigMaps, Secrets) and ports as rendered.
 * Only what a cluster provides is mapped: Service DNS names → 127.0.0.1 (each service keeps its
 * own container port), volume mount paths → local directories, 0.0.0.0 → 127.0.0.1, and the
 * metrics port (one per pod in a cluster, shared here) → a free port per process. Then the
 * rendered probes are asked, an image is segmented through the gateway like the in-process
 * engine does it, and every process drains and exits 0 on SIGTERM within its grace period.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PixelLMClient } from "@pixellm/client";
import { PixelLMEngine } from "@pixellm/engine";
import { checkHealth } from "@pixellm/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_URL } from "../support/deployment";
import { expectEngineAnswer } from "../support/served-answer";
import { type TinyBundle, makeTinyBundle, tempDir } from "../support/tiny-bundle";
import { API_KEY, renderLocalRelease } from "./support/local-release";
import { type LocalPod, localPodOf } from "./support/local-pod";
import { type K8sObject, ofKind } from "./support/manifests";
import {
  type Container,
  containerPort,
  onlyContainer,
  podTemplate,
  resolveEnv,
  selects,
  serviceFor,
} from "./support/rendered-wiring";

let tiny: TinyBundle;
let objects: K8sObject[];
let pods: LocalPod[] = [];
let engine: PixelLMEngine | undefined;
let client: PixelLMClient | undefined;
let renderMs = 0;
let startMs = 0;

const deployments = () => ofKind(objects, "Deployment");
const pod = (suffix: string) => pods.find((p) => p.name.endsWith(`-${suffix}`))!;

async function localPod(deployment: K8sObject, logDir: string): Promise<LocalPod> {
  const tmp = await tempDir(`${deployment.metadata.name}-tmp`);
  return localPodOf(
    deployment,
    objects,
    new Map([
      ["model", tiny.root],
      ["tmp", tmp],
    ]),
    logDir,
  );
}

beforeAll(async () => {
  tiny = await makeTinyBundle();
  const work = await tempDir("chart-run");
  ({ objects, renderMs } = await renderLocalRelease({
    modelRoot: tiny.root,
    bundlePath: path.relative(tiny.root, tiny.bundleDir),
    redisUrl: REDIS_URL,
    keyPrefix: `deploy-${path.basename(work)}`,
    workDir: work,
  }));

  const logDir = path.join(work, "logs");
  await mkdir(logDir);
  pods = await Promise.all(deployments().map((d) => localPod(d, logDir)));
  // All at once, as a cluster starts them: the gateway finds the stages as they turn ready.
  const started = performance.now();
  for (const p of pods) p.start();
  await Promise.all(pods.map((p) => p.started(120_000)));
  startMs = performance.now() - started;
  engine = await PixelLMEngine.load(tiny.bundleDir);
}, 240_000);

afterAll(async () => {
  client?.close();
  await engine?.close();
  await Promise.all(pods.map((p) => p.stop(5_000)));
  console.log(
    `chart local run: render ${renderMs.toFixed(0)} ms, ${pods.length} processes ready in ${startMs.toFixed(0)} ms`,
  );
});

describe("the chart's wiring, run as local processes", () => {
  it("renders one single-container Deployment per service", () => {
    expect(deployments().map((d) => onlyContainer(d).name)).toEqual([
      "gateway",
      "vision-encoder",
      "llm",
      "pixel-decoder",
    ]);
  });

  it("points every probe at the container's gRPC port and the right health service", () => {
    for (const deployment of deployments()) {
      const container: Container = onlyContainer(deployment);
      const port = containerPort(container, "grpc");
      for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe])
        expect(probe.grpc.port).toBe(port);
      expect(container.startupProbe.grpc.service ?? "").toBe("");
      expect(container.readinessProbe.grpc.service ?? "").toBe("");
      expect(container.livenessProbe.grpc.service).toBe("liveness");
      const portVariable = Object.entries(resolveEnv(container, objects)).find(
        ([k]) => k.endsWith("_PORT") && k !== "PIXELLM_METRICS_PORT",
      );
      expect(Number(portVariable?.[1]), `${deployment.metadata.name} listens where its probes look`).toBe(
        port,
      );
    }
  });

  it("routes the gateway to headless Services that select the stage pods on their gRPC ports", () => {
    const gateway = resolveEnv(onlyContainer(deployments()[0]!), objects);
    for (const [variable, stage] of [
      ["VISION_ADDRESSES", "vision-encoder"],
      ["LLM_ADDRESSES", "llm"],
      ["DECODER_ADDRESSES", "pixel-decoder"],
    ] as const) {
      const [, host, port] = /^dns:([a-z0-9-]+):(\d+)$/.exec(gateway[variable] ?? "") ?? [];
      const service = serviceFor(objects, host!);
      const target = deployments().find((d) => d.metadata.name.endsWith(`-${stage}`))!;
      expect(selects(service.spec.selector, podTemplate(target).metadata.labels)).toBe(true);
      const servicePort = service.spec.ports.find((p) => p.port === Number(port));
      expect(servicePort?.targetPort).toBe("grpc");
      expect(containerPort(onlyContainer(target), "grpc")).toBe(Number(port));
    }
    const publicService = serviceFor(objects, `${deployments()[0]!.metadata.name}`);
    expect(selects(publicService.spec.selector, podTemplate(deployments()[0]!).metadata.labels)).toBe(true);
    expect(publicService.spec.ports[0]!.targetPort).toBe("grpc");
  });

  it("answers the rendered probes: ready and live", async () => {
    for (const p of pods) {
      expect(await checkHealth(p.address, p.container.readinessProbe.grpc.service ?? "")).toBe("SERVING");
      expect(await checkHealth(p.address, p.container.livenessProbe.grpc.service ?? "")).toBe("SERVING");
    }
  });

  it("segments an image through the gateway with the API key from the rendered Secret", async () => {
    client = new PixelLMClient(pod("gateway").address, { apiKey: API_KEY });
    const request = await expectEngineAnswer(client, engine!, 60_000);

    const anonymous = new PixelLMClient(pod("gateway").address);
    await expect(anonymous.segment(request, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: 16 });
    anonymous.close();
  });

  it("drains and exits 0 on SIGTERM within each pod's termination grace period", async () => {
    // Gateways first, as a rollout of the whole release would leave the stages for last.
    for (const group of [
      pods.filter((p) => p.name.endsWith("-gateway")),
      pods.filter((p) => !p.name.endsWith("-gateway")),
    ]) {
      const codes = await Promise.all(
        group.map((p) => {
          const grace = podTemplate(deployments().find((d) => d.metadata.name === p.name)!).spec
            .terminationGracePeriodSeconds;
          return p.stop(grace * 1000);
        }),
      );
      expect(codes).toEqual(group.map(() => 0));
    }
  });
});

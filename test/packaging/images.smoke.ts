/**
 * The CPU image, built and run on this machine without Docker or a registry (`pnpm images:smoke`,
 * not part of `pnpm test`; README "Images"). docker/Dockerfile is built with podman on base
 * images made here (support/base-images.ts); the model volume is filled by the image's own CLI,
 * run as the chart's cpu-small example runs its init container (or, with
 * PIXELLM_SMOKE_BUNDLE=DIR, an exported bundle is mounted instead: the trained demo model, a 7B
 * export). Then Redis and the four services run as containers with what the rendered chart gives
 * each Deployment (command, working directory, environment, user, read-only root, tmpfs /tmp,
 * dropped capabilities, the model volume read-only), one at a time so that each one's cold start
 * is its own; one request goes through the gateway container and must get the in-process
 * engine's answer; every service drains and exits 0 on SIGTERM.
 *
 * Prints the image size, the build time and each service's cold start to ready (container start
 * → the rendered startup probe's health answer SERVING) and writes them to
 * bench/results/images.json.
 */
import { chown, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { PixelLMClient } from "@pixellm/client";
import { PixelLMEngine } from "@pixellm/engine";
import { freePort } from "@pixellm/launcher";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, renderChart } from "../../scripts/chart/render";
import { API_KEY, localEnv, renderLocalRelease } from "../deploy/support/local-release";
import { LaunchedProcess } from "../deploy/support/launched-process";
import { LocalPod } from "../deploy/support/local-pod";
import { type K8sObject, ofKind, parseManifests } from "../deploy/support/manifests";
import { containerPort, onlyContainer, podTemplate } from "../deploy/support/rendered-wiring";
import { eventually } from "../support/eventually";
import { expectEngineAnswer } from "../support/served-answer";
import { tempDir } from "../support/tiny-bundle";
import { ensureBaseImages } from "./support/base-images";
import { buildImage, containerLaunch, imageBytes, podman, redisLaunch } from "./support/podman";

const IMAGE = "localhost/pixellm-serve:smoke";
/** Stages first, then the gateway: each one's start is measured alone. */
const START_ORDER = ["vision-encoder", "llm", "pixel-decoder", "gateway"];
const SERVICE_USER = "10001:10001";
const STARTUP_TIMEOUT_MS = 180_000;

const prefix = `pixellm-smoke-${process.pid}`;
const started: string[] = [];
let work: string;
let logFile: string;
let objects: K8sObject[];
const pods: LocalPod[] = [];
let redis: LaunchedProcess | undefined;
let engine: PixelLMEngine | undefined;
let bundleDir: string;
const figures = {
  image: IMAGE,
  imageBytes: 0,
  baseImagesMade: [] as readonly string[],
  buildSeconds: 0,
  bundle: "",
  modelInitSeconds: undefined as number | undefined,
  coldStartSeconds: {} as Record<string, number>,
};

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** A pod's container as a podman container of the image, with the model volume from `modelRoot`. */
function podContainer(deployment: K8sObject, env: Record<string, string>, modelRoot: string): LocalPod {
  const container = onlyContainer(deployment);
  const name = `${prefix}-${container.name}`;
  started.push(name);
  const launch = containerLaunch({
    name,
    image: IMAGE,
    pod: podTemplate(deployment).spec,
    container,
    env,
    hostVolumes: new Map([["model", modelRoot]]),
  });
  const address = `127.0.0.1:${containerPort(container, "grpc")}`;
  return new LocalPod(deployment.metadata.name, container, address, launch, path.join(work, `${name}.log`));
}

/**
 * The model volume, filled the way helm/pixellm/examples/cpu-small.yaml fills each pod's: its
 * rendered init container (the image's CLI: make-tiny, then export) writes the bundle.
 */
async function initModelVolume(modelRoot: string): Promise<string> {
  const rendered = parseManifests(
    await renderChart({
      valuesFiles: ["helm/pixellm/examples/cpu-small.yaml"],
      showOnly: ["templates/deployments.yaml"],
    }),
  );
  const pod = podTemplate(ofKind(rendered, "Deployment")[0]!).spec;
  const init = pod.initContainers?.find((c) => c.name === "model");
  if (!init) throw new Error("the cpu-small example renders no model init container");
  await mkdir(modelRoot, { recursive: true });
  // The pod's fsGroup makes an emptyDir writable for the service user; here, ownership does.
  await chown(modelRoot, 10001, 10001);
  const name = `${prefix}-model-init`;
  started.push(name);
  const launch = containerLaunch({
    name,
    image: IMAGE,
    pod,
    container: init,
    env: await localEnv(init, rendered),
    hostVolumes: new Map([["model", modelRoot]]),
  });
  const began = performance.now();
  const run = new LaunchedProcess(name, launch, path.join(work, `${name}.log`));
  run.start();
  const code = await run.exited;
  if (code !== 0) throw new Error(`the model init container exited ${code}; see ${work}/${name}.log`);
  figures.modelInitSeconds = seconds(performance.now() - began);
  const bundle = (await localEnv(init, rendered)).PIXELLM_BUNDLE!;
  const mountPath = init.volumeMounts.find((m) => m.name === "model")!.mountPath;
  return path.relative(mountPath, bundle);
}

beforeAll(async () => {
  work = await tempDir("images-smoke");
  logFile = path.join(work, "build.log");
  console.log(`images smoke: logs in ${work}`);
  const bases = await ensureBaseImages(logFile);
  figures.baseImagesMade = bases.made;
  figures.buildSeconds = seconds(
    await buildImage({
      file: path.join(REPO_ROOT, "docker/Dockerfile"),
      context: REPO_ROOT,
      tag: IMAGE,
      buildArgs: { NODE_IMAGE: bases.node },
      network: "host",
      logFile,
    }),
  );
  figures.imageBytes = await imageBytes(IMAGE);

  const given = process.env.PIXELLM_SMOKE_BUNDLE;
  const modelRoot = given ? path.dirname(path.resolve(given)) : path.join(work, "models");
  const bundlePath = given ? path.basename(given) : await initModelVolume(modelRoot);
  bundleDir = path.join(modelRoot, bundlePath);
  figures.bundle = given ? bundleDir : `tiny, made by the image's CLI (cpu-small init container)`;

  const redisPort = await freePort();
  const redisName = `${prefix}-redis`;
  started.push(redisName);
  redis = new LaunchedProcess(
    redisName,
    redisLaunch(redisName, bases.redis, redisPort),
    path.join(work, "redis.log"),
  );
  redis.start();
  const client = new Redis(redisPort, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on("error", () => undefined); // refused until the container listens
  const pong = await eventually(
    () => client.ping().catch(() => "down"),
    (reply) => reply === "PONG",
    30_000,
  );
  if (pong !== "PONG") throw new Error(`the Redis container did not answer (log: ${work}/redis.log)`);
  client.disconnect();

  ({ objects } = await renderLocalRelease({
    modelRoot,
    bundlePath,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    keyPrefix: prefix,
    workDir: work,
  }));
  const deployments = ofKind(objects, "Deployment");
  for (const component of START_ORDER) {
    const deployment = deployments.find((d) => onlyContainer(d).name === component)!;
    const pod = podContainer(deployment, await localEnv(onlyContainer(deployment), objects), modelRoot);
    pods.push(pod);
    const began = performance.now();
    pod.start();
    await pod.started(STARTUP_TIMEOUT_MS);
    figures.coldStartSeconds[component] = seconds(performance.now() - began);
  }
  engine = await PixelLMEngine.load(bundleDir);
}, 1_800_000);

afterAll(async () => {
  await engine?.close();
  await Promise.all(pods.map((p) => p.stop(10_000)));
  await redis?.stop(10_000);
  // Containers left by a failed start or a kill: only the ones this run named.
  for (const name of started) await podman(["rm", "--force", "--ignore", name]).catch(() => undefined);
  const table = [
    ["image size", `${(figures.imageBytes / 1e6).toFixed(0)} MB (${IMAGE})`],
    [
      "build",
      `${figures.buildSeconds} s (base images made this run: ${figures.baseImagesMade.join(", ") || "none"})`,
    ],
    ["bundle", figures.bundle],
    ...(figures.modelInitSeconds !== undefined ? [["model init", `${figures.modelInitSeconds} s`]] : []),
    ...Object.entries(figures.coldStartSeconds).map(([service, s]) => [`cold start: ${service}`, `${s} s`]),
  ];
  console.log(table.map(([k, v]) => `${k!.padEnd(28)} ${v}`).join("\n"));
  await mkdir(path.join(REPO_ROOT, "bench/results"), { recursive: true });
  await writeFile(path.join(REPO_ROOT, "bench/results/images.json"), JSON.stringify(figures, null, 2));
}, 120_000);

describe("the CPU image, run as the chart runs it", () => {
  it("holds compiled JavaScript and production dependencies only", async () => {
    const listing = await podman([
      "run",
      "--rm",
      "--network",
      "none",
      IMAGE,
      "sh",
      "-c",
      [
        "ls node_modules/.pnpm",
        "echo ---",
        "ls -d packages/*/src services/*/src protos/src 2>/dev/null || true",
        "echo ---",
        "cd node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node/bin/napi-v6 && ls -d */*",
      ].join("; "),
    ]);
    const [pnpm = [], sources = [], platforms = []] = listing.split("---").map((part) =>
      part
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean),
    );
    const dev = ["tsx@", "typescript@", "vitest@", "esbuild@", "eslint@", "prettier@", "@aws-cdk+"];
    expect(pnpm.filter((p) => dev.some((d) => p.startsWith(d)))).toEqual([]);
    expect(pnpm.filter((p) => p.startsWith("onnxruntime-node@"))).toHaveLength(1);
    expect(sources).toEqual([]);
    expect(platforms).toEqual(["linux/x64"]);
  });

  it("runs each service as uid 10001 with a read-only root, a tmpfs /tmp and no capabilities", async () => {
    for (const pod of pods) {
      const name = `${prefix}-${pod.container.name}`;
      const inspect = JSON.parse(await podman(["inspect", name])) as [
        {
          Config: { User: string };
          HostConfig: { ReadonlyRootfs: boolean; Tmpfs: Record<string, string>; CapDrop: string[] | null };
          EffectiveCaps: string[] | null;
        },
      ];
      expect(inspect[0].Config.User).toBe(SERVICE_USER);
      expect(inspect[0].HostConfig.ReadonlyRootfs).toBe(true);
      expect(Object.keys(inspect[0].HostConfig.Tmpfs)).toEqual(["/tmp"]);
      expect(inspect[0].EffectiveCaps ?? []).toEqual([]);
      const probe = await podman([
        "exec",
        name,
        "node",
        "-e",
        'const fs = require("node:fs"); const w = (p) => { try { fs.writeFileSync(p, "x"); return true; } catch { return false; } }; console.log(JSON.stringify({ uid: process.getuid(), app: w("/app/x"), varTmp: w("/var/tmp/x"), models: w(process.env.PIXELLM_BUNDLE + "/x"), tmp: w("/tmp/x") }))',
      ]);
      // /var/tmp is world-writable in the image: only the read-only root keeps it closed.
      expect(JSON.parse(probe)).toEqual({ uid: 10001, app: false, varTmp: false, models: false, tmp: true });
    }
  });

  it("answers a request through the gateway container as the in-process engine does", async () => {
    const gateway = pods.find((p) => p.container.name === "gateway")!;
    const client = new PixelLMClient(gateway.address, { apiKey: API_KEY });
    try {
      await expectEngineAnswer(client, engine!, 120_000);
    } finally {
      client.close();
    }
  });

  it("drains and exits 0 on SIGTERM within each pod's grace period, gateway first", async () => {
    for (const component of [...START_ORDER].reverse()) {
      const pod = pods.find((p) => p.container.name === component)!;
      const grace = podTemplate(ofKind(objects, "Deployment").find((d) => d.metadata.name === pod.name)!).spec
        .terminationGracePeriodSeconds;
      expect(await pod.stop(grace * 1000), `${component} (log: ${pod.logFile})`).toBe(0);
    }
  });
});

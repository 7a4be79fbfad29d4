/**
 * The images, checked without a Docker engine (`pnpm images:smoke` builds and runs the CPU one
 * with podman): both Dockerfiles are multi-stage, start from exact version tags (never latest),
 * run compiled JavaScript with production dependencies only (no tsx), as the non-root user the
 * chart expects, in the directory the chart's commands run in; the CUDA image shares the CPU
 * image's build stages, installs onnxruntime-node's CUDA provider and fails its build without
 * it; the build context leaves local artefacts out.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CHART_DIR, REPO_ROOT, renderChart } from "../../scripts/chart/render";
import { type Stage, last, parseDockerfile } from "./support/dockerfile";
import { ofKind, parseManifests } from "./support/manifests";
import { type Container, onlyContainer } from "./support/rendered-wiring";

const DOCKERFILES = ["docker/Dockerfile", "docker/Dockerfile.cuda"];
const read = (file: string) => readFile(path.join(REPO_ROOT, file), "utf8");
/** name:tag with a tag that starts with a full version (20.20.2-bookworm-slim, 12.8.1-cudnn-…). */
const PINNED = /^[a-z0-9./-]+:\d+\.\d+\.\d+[\w.-]*$/;

async function stagesOf(file: string): Promise<Stage[]> {
  return parseDockerfile(await read(file));
}

/** What the chart (default values) asks of the image, rendered once for both Dockerfiles. */
let chart: { readonly user: string; readonly containers: readonly Container[] };

beforeAll(async () => {
  const values = parse(await readFile(path.join(CHART_DIR, "values.yaml"), "utf8")) as {
    securityContext: { runAsUser: number; runAsGroup: number };
  };
  chart = {
    user: `${values.securityContext.runAsUser}:${values.securityContext.runAsGroup}`,
    containers: ofKind(parseManifests(await renderChart()), "Deployment").map(onlyContainer),
  };
});

describe.each(DOCKERFILES)("%s", (file) => {
  it("is multi-stage and starts every stage from a pinned tag or an earlier stage", async () => {
    const stages = await stagesOf(file);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const names = new Set<string>();
    for (const stage of stages) {
      if (!names.has(stage.from)) expect(stage.from, `FROM ${stage.from}`).toMatch(PINNED);
      if (stage.name) names.add(stage.name);
    }
    expect(await read(file)).not.toMatch(/:latest\b/);
  });

  it("runs as the chart's non-root user in the chart's working directory, its command one of the chart's", async () => {
    const runtime = (await stagesOf(file)).at(-1)!;
    expect(last(runtime, "USER")).toBe(chart.user);
    expect(new Set(chart.containers.map((c) => c.workingDir))).toEqual(new Set([last(runtime, "WORKDIR")]));
    const commands = chart.containers.map((c) => JSON.stringify(c.command).replace(/,/g, ", "));
    expect(commands).toContain(last(runtime, "CMD"));
  });

  it("installs from the lockfile with the pnpm version setup.sh uses", async () => {
    const text = await read(file);
    const pnpm = /pnpm@(\d+\.\d+\.\d+)/.exec(await read("scripts/setup.sh"))?.[1];
    expect(text).toContain(`npm install --global pnpm@${pnpm}`);
    expect(text).toContain("pnpm install --frozen-lockfile --offline");
  });

  it("runs compiled JavaScript with production dependencies only: what the runtime copies was built, staged and installed --prod", async () => {
    const stages = await stagesOf(file);
    const runtime = stages.at(-1)!;
    const copied = runtime.instructions
      .filter((i) => i.keyword === "COPY")
      .map((i) => /^--from=(\S+) \/prod \/app$/.exec(i.args)?.[1])
      .filter((stage) => stage !== undefined);
    expect(copied).toHaveLength(1);
    const runs = lineage(stages, copied[0]!).flatMap((stage) =>
      stage.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args),
    );
    const order = [
      "pnpm build --clean",
      "scripts/build/stage-production.ts /prod",
      "pnpm install --prod --frozen-lockfile --offline",
    ];
    const at = order.map((step) => runs.findIndex((run) => run.includes(step)));
    expect(
      at.every((index) => index >= 0),
      `${file} runs ${order.join(", then ")}`,
    ).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(runtime.instructions.map((i) => i.args).join("\n")).not.toMatch(/\btsx\b/);
    expect(JSON.parse(last(runtime, "CMD")!)).toEqual([
      "node",
      "--enable-source-maps",
      expect.stringMatching(/^services\/[a-z-]+\/dist\/main\.js$/),
    ]);
  });
});

/** A stage and the earlier stages it starts from, oldest first. */
function lineage(stages: readonly Stage[], name: string): Stage[] {
  const stage = stages.find((s) => s.name === name);
  if (!stage) return [];
  return [...lineage(stages, stage.from), stage];
}

describe("the CUDA image", () => {
  it("builds its dependency and production stages exactly as the CPU image does", async () => {
    const shared = (stages: Stage[]) => stages.filter((s) => s.name === "deps" || s.name === "production");
    const cpu = shared(await stagesOf("docker/Dockerfile"));
    expect(cpu.map((s) => s.name)).toEqual(["deps", "production"]);
    expect(shared(await stagesOf("docker/Dockerfile.cuda"))).toEqual(cpu);
  });

  it("installs onnxruntime-node's CUDA 12 provider, fails without it, and runs on a CUDA runtime", async () => {
    const stages = await stagesOf("docker/Dockerfile.cuda");
    const install = stages
      .flatMap((s) => s.instructions.map((i) => ({ stage: s.name, ...i })))
      .find((i) => i.keyword === "RUN" && i.args.includes("script/install.js"));
    expect(install?.args).toContain("--onnxruntime-node-install=cuda12");
    expect(install?.args).toContain("test -f bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so");
    const runtime = stages.at(-1)!;
    expect(runtime.from).toMatch(/^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-/);
    expect(runtime.instructions).toContainEqual({
      keyword: "COPY",
      args: `--from=${install!.stage} /prod /app`,
    });
  });

  it("leaves the CPU image's onnxruntime-node install script off", async () => {
    expect(await read("docker/Dockerfile")).toContain("ONNXRUNTIME_NODE_INSTALL=skip pnpm install");
  });
});

describe(".dockerignore", () => {
  it("keeps local installs, caches, models and git out of the build context", async () => {
    const ignored = (await read(".dockerignore")).split("\n").map((l) => l.trim());
    for (const entry of ["**/node_modules", ".git", ".cache", "models"]) expect(ignored).toContain(entry);
  });
});

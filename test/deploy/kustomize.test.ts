/**
 * deploy/: `kubectl kustomize` builds the base and every overlay, the output validates like the
 * chart's, the base and gpu-prod's custom resources are the chart rendered (not stale), and
 * each overlay equals the chart rendered with its example values, as its kustomization says.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { deployFiles } from "../../scripts/chart/generate";
import { REPO_ROOT, renderChart } from "../../scripts/chart/render";
import { toolPath } from "../../scripts/tools";
import { differences } from "./support/equivalence";
import { validateObjects } from "./support/k8s-schema";
import { type K8sObject, parseManifests } from "./support/manifests";

const run = promisify(execFile);

async function kustomize(dir: string): Promise<K8sObject[]> {
  const { stdout } = await run(await toolPath("kubectl"), ["kustomize", path.join(REPO_ROOT, dir)], {
    maxBuffer: 64 * 2 ** 20,
  });
  return parseManifests(stdout);
}

const OVERLAYS = [
  {
    dir: "deploy/overlays/cpu-dev",
    namespace: "pixellm-dev",
    chart: {
      valuesFiles: ["helm/pixellm/examples/cpu-small.yaml"],
      setJson: ["redis.bundled.enabled=false", 'redis.passwordSecret="redis-auth"'],
    },
    extra: ["Namespace/pixellm-dev", "Secret/redis-auth", "Service/redis", "Deployment/redis"],
  },
  {
    dir: "deploy/overlays/gpu-prod",
    namespace: "pixellm",
    chart: { valuesFiles: ["helm/pixellm/examples/gpu-7b.yaml"] },
    extra: ["Namespace/pixellm"],
  },
];

describe("deploy/", () => {
  it("has rendered manifests that are up to date (pnpm chart:generate)", async () => {
    for (const file of await deployFiles())
      expect(await readFile(path.join(REPO_ROOT, file.path), "utf8"), `${file.path} is stale`).toBe(
        file.content,
      );
  });

  it("builds a base equal to the chart's defaults", async () => {
    const base = await kustomize("deploy/base");
    expect(validateObjects(base)).toEqual([]);
    expect(differences(base, parseManifests(await renderChart()))).toEqual([]);
  });

  it.each(OVERLAYS)(
    "builds $dir: valid, in its namespace, equal to the chart with its values",
    async (overlay) => {
      const objects = await kustomize(overlay.dir);
      expect(validateObjects(objects)).toEqual([]);
      for (const o of objects.filter((o) => o.kind !== "Namespace"))
        expect((o.metadata as { namespace?: string }).namespace, `${o.kind}/${o.metadata.name}`).toBe(
          overlay.namespace,
        );
      const expected = parseManifests(await renderChart(overlay.chart));
      expect(differences(objects, expected)).toEqual(overlay.extra.map((id) => `only in the overlay: ${id}`));
    },
  );
});

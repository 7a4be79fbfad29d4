/**
 * Writes the chart's generated files: values.schema.json and README.md (from scripts/chart/
 * and the services' configuration tables), and deploy/'s rendered manifests (the chart with
 * the values files beside them). `--check` writes nothing and fails when a file is stale (CI
 * runs the same comparison in test/deploy).
 *
 *   pnpm chart:generate [--check]
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as prettier from "prettier";
import { parse } from "yaml";
import { DEPLOY_MANIFESTS, deployManifest } from "./deploy-manifests";
import { chartReadme } from "./readme";
import { CHART_DIR, REPO_ROOT } from "./render";
import { valuesSchema } from "./values-schema";

export interface GeneratedFile {
  /** Relative to the repository root. */
  readonly path: string;
  readonly content: string;
}

async function formatted(file: string, text: string): Promise<string> {
  const config = await prettier.resolveConfig(path.join(REPO_ROOT, file));
  return prettier.format(text, { ...config, filepath: file });
}

/** values.schema.json and README.md of the chart. */
export async function chartFiles(): Promise<GeneratedFile[]> {
  const schema = valuesSchema();
  const values: unknown = parse(await readFile(path.join(CHART_DIR, "values.yaml"), "utf8"));
  const chart = path.relative(REPO_ROOT, CHART_DIR);
  return [
    {
      path: `${chart}/values.schema.json`,
      content: await formatted(`${chart}/values.schema.json`, JSON.stringify(schema)),
    },
    {
      path: `${chart}/README.md`,
      content: await formatted(`${chart}/README.md`, chartReadme(schema, values)),
    },
  ];
}

/** deploy/'s manifests rendered from the chart (which reads the checked-in schema). */
export async function deployFiles(): Promise<GeneratedFile[]> {
  return Promise.all(
    DEPLOY_MANIFESTS.map(async (manifest) => ({
      path: manifest,
      content: await formatted(manifest, await deployManifest(manifest)),
    })),
  );
}

/** The files whose content differs from the generated one (written unless `checkOnly`). */
async function writeIfChanged(files: readonly GeneratedFile[], checkOnly: boolean): Promise<string[]> {
  const stale: string[] = [];
  for (const file of files) {
    const target = path.join(REPO_ROOT, file.path);
    const current = await readFile(target, "utf8").catch(() => undefined);
    if (current === file.content) continue;
    stale.push(file.path);
    if (!checkOnly) await writeFile(target, file.content);
  }
  return stale;
}

if (process.argv[1] === import.meta.filename) {
  const checkOnly = process.argv.includes("--check");
  // The schema gates rendering: it is written before the deploy manifests are rendered.
  const stale = await writeIfChanged(await chartFiles(), checkOnly);
  stale.push(...(await writeIfChanged(await deployFiles(), checkOnly)));
  if (checkOnly && stale.length > 0) {
    console.error(`stale generated files (run pnpm chart:generate):\n  ${stale.join("\n  ")}`);
    process.exit(1);
  }
  console.log(stale.length === 0 ? "generated files are up to date" : `wrote ${stale.join(", ")}`);
}

/**
 * The tree the images run, written to an empty directory after `pnpm build`: the workspace
 * manifests and lockfile, and of each package only its package.json and its `files` (dist/,
 * the .proto files). No sources, tests or scripts. `pnpm install --prod --frozen-lockfile`
 * in it then installs production dependencies only (as `pnpm deploy --prod` would, with the
 * workspace layout kept, so that the images, the chart and the local launcher all run
 * `services/<name>/dist/main.js` from the same relative place).
 *
 *   tsx --conditions=@pixellm/source scripts/build/stage-production.ts OUT_DIR
 */
import { cp, mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT, workspacePackages } from "./workspace";

const WORKSPACE_FILES = ["package.json", "pnpm-lock.yaml", "pnpm-workspace.yaml"];

export async function stageProduction(outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  if ((await readdir(outDir)).length > 0) throw new Error(`${outDir} is not empty`);
  for (const file of WORKSPACE_FILES) await cp(path.join(REPO_ROOT, file), path.join(outDir, file));
  for (const pkg of await workspacePackages()) {
    for (const file of ["package.json", ...(pkg.manifest.files ?? [])]) {
      await cp(path.join(pkg.dir, file), path.join(outDir, pkg.relativeDir, file), { recursive: true });
    }
  }
}

if (process.argv[1] === import.meta.filename) {
  const outDir = process.argv[2];
  if (!outDir) throw new Error("usage: stage-production.ts OUT_DIR");
  await stageProduction(path.resolve(outDir));
}

/**
 * `pnpm build [--clean]`: every workspace package's src/ compiled to dist/ (a package installed
 * outside the workspace bundled instead, see bundle.ts), after checking that each package's
 * entry points name what the build writes. Packages whose dist/ is newer than their inputs are
 * left alone unless `--clean`. Production runs only these files: `node services/<name>/dist/main.js`
 * in the image, the chart and the local launcher.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { bundlePackage, inlinedPackages } from "./bundle";
import { compilePackage } from "./compile";
import { entryPointProblems } from "./entry-points";
import { isFresh, stamp } from "./freshness";
import { workspacePackages } from "./workspace";

export class EntryPointError extends Error {
  override name = "EntryPointError";
}

export interface BuildSummary {
  readonly packages: number;
  /** Packages compiled or bundled this time (the others were fresh). */
  readonly built: readonly string[];
  readonly ms: number;
}

export async function build(options: { readonly clean?: boolean } = {}): Promise<BuildSummary> {
  const started = performance.now();
  const packages = (await workspacePackages()).filter((p) => p.manifest.exports);
  const problems = packages.flatMap(entryPointProblems);
  if (problems.length > 0)
    throw new EntryPointError(
      `entry points that dist/ would not have (see CONTRIBUTING.md):\n  ${problems.join("\n  ")}`,
    );
  const built: string[] = [];
  for (const pkg of packages) {
    const bundled = pkg.manifest.private !== true;
    if (!options.clean && (await isFresh(pkg, bundled ? inlinedPackages(pkg, packages) : []))) continue;
    await rm(path.join(pkg.dir, "dist"), { recursive: true, force: true });
    await (bundled ? bundlePackage(pkg, packages) : compilePackage(pkg));
    await stamp(pkg);
    built.push(pkg.manifest.name);
  }
  return { packages: packages.length, built, ms: performance.now() - started };
}

if (process.argv[1] === import.meta.filename) {
  try {
    const summary = await build({ clean: process.argv.includes("--clean") });
    const what = summary.built.length === summary.packages ? "all" : `${summary.built.length}`;
    console.log(
      `build: ${what} of ${summary.packages} packages built in ${(summary.ms / 1000).toFixed(1)} s`,
    );
  } catch (error) {
    if (!(error instanceof EntryPointError)) throw error;
    console.error(`build: ${error.message}`);
    process.exitCode = 1;
  }
}

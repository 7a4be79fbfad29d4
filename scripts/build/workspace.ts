/**
 * The workspace's packages, found the way pnpm finds them (the `packages` patterns of
 * pnpm-workspace.yaml), so that a new package is compiled, checked and shipped in the image
 * without an edit to the build.
 */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

export type ExportTarget = string | Readonly<Record<string, string>>;

/** The package.json fields the build reads. */
export interface PackageManifest {
  readonly name: string;
  /** Not private: installed outside the workspace, so it is built as one self-contained bundle. */
  readonly private?: boolean;
  readonly exports?: Readonly<Record<string, ExportTarget>>;
  readonly bin?: Readonly<Record<string, string>>;
  /** What the package ships besides package.json (the production image copies exactly these). */
  readonly files?: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

export interface WorkspacePackage {
  /** Absolute directory. */
  readonly dir: string;
  /** Directory relative to the repository root (`services/llm`). */
  readonly relativeDir: string;
  readonly manifest: PackageManifest;
}

async function hasManifest(dir: string): Promise<boolean> {
  return readFile(path.join(dir, "package.json")).then(
    () => true,
    () => false,
  );
}

/** The directories one pattern names: `dir/*` (every sub-directory with a package.json) or `dir`. */
async function expand(root: string, pattern: string): Promise<string[]> {
  if (/[*?{[]/.test(pattern.replace(/\/\*$/, "")))
    throw new Error(
      `pnpm-workspace.yaml: pattern ${pattern} is not "dir" or "dir/*"; teach scripts/build/workspace.ts`,
    );
  if (!pattern.endsWith("/*")) return [path.join(root, pattern)];
  const parent = path.join(root, pattern.slice(0, -2));
  const entries = await readdir(parent, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => path.join(parent, e.name));
}

export async function workspacePackages(root: string = REPO_ROOT): Promise<WorkspacePackage[]> {
  const workspace = parse(await readFile(path.join(root, "pnpm-workspace.yaml"), "utf8")) as {
    packages: string[];
  };
  const dirs = (await Promise.all(workspace.packages.map((pattern) => expand(root, pattern)))).flat();
  const packages: WorkspacePackage[] = [];
  for (const dir of dirs.sort()) {
    if (!(await hasManifest(dir))) continue;
    const manifest = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as PackageManifest;
    packages.push({ dir, relativeDir: path.relative(root, dir), manifest });
  }
  return packages;
}

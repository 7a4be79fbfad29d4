/**
 * Whether a package's dist/ is older than what it is built from, so that `pnpm build` (and the
 * test setup, and `pnpm start`) rebuild only what changed. A package's inputs are its
 * package.json and every file and directory under its src/ (a directory's time changes when a
 * file in it is added or removed); a bundle's also those of each package it inlines, with the
 * files it copies from them; every package's also the build scripts and tsconfig.base.json. The
 * stamp is written last, so a build that failed half-way is stale.
 */
import { readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { WorkspacePackage } from "./workspace";

const STAMP = ".built";
/** What every package's build depends on: the build itself and the compiler options. */
const BUILD_INPUTS = [import.meta.dirname, path.join(import.meta.dirname, "../../tsconfig.base.json")];

/** The newest modification time of a file or of anything under a directory (0: absent). */
async function newestUnder(root: string): Promise<number> {
  const top = await stat(root).catch(() => undefined);
  if (!top?.isDirectory()) return top?.mtimeMs ?? 0;
  const entries = await readdir(root, { recursive: true });
  const times = await Promise.all(entries.map((e) => stat(path.join(root, e))));
  return Math.max(top.mtimeMs, ...times.map((s) => s.mtimeMs));
}

/** package.json and src/; for a package that is inlined, also what it reads beside its code. */
async function newestInput(pkg: WorkspacePackage, inlined: boolean): Promise<number> {
  const trees = ["src", ...(inlined ? (pkg.manifest.files ?? []).filter((f) => f !== "dist") : [])];
  const [manifest, ...times] = await Promise.all([
    stat(path.join(pkg.dir, "package.json")),
    ...trees.map((tree) => newestUnder(path.join(pkg.dir, tree))),
  ]);
  return Math.max(manifest.mtimeMs, ...times);
}

/** True when dist/ was stamped after the newest input of the package and of those it inlines. */
export async function isFresh(pkg: WorkspacePackage, inlined: readonly WorkspacePackage[]): Promise<boolean> {
  const stamped = await stat(path.join(pkg.dir, "dist", STAMP)).catch(() => undefined);
  if (!stamped) return false;
  const inputs = await Promise.all([
    ...BUILD_INPUTS.map(newestUnder),
    newestInput(pkg, false),
    ...inlined.map((p) => newestInput(p, true)),
  ]);
  return Math.max(...inputs) < stamped.mtimeMs;
}

export async function stamp(pkg: WorkspacePackage): Promise<void> {
  await writeFile(path.join(pkg.dir, "dist", STAMP), "");
}

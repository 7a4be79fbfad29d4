/**
 * Builds a package that is installed outside the workspace (`@pixellm/client`, packed with
 * `npm pack`): the workspace packages it imports cannot come from a registry, so they are
 * inlined. Each exports entry becomes one ES module with a source map and one declaration file
 * with the inlined packages' types; what an inlined package reads at run time beside its code
 * (its `files` other than dist/, e.g. the .proto files) is copied to the same place relative to
 * the bundle. Only the package's `dependencies` and `peerDependencies` stay imports; anything
 * else that would be inlined from node_modules fails the build.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { generateDtsBundle } from "dts-bundle-generator";
import * as esbuild from "esbuild";
import { NODE_TARGET } from "./compile";
import { SOURCE_CONDITION, compiledPath, sourceOf } from "./entry-points";
import { REPO_ROOT, type WorkspacePackage } from "./workspace";

/** The workspace packages a bundled package inlines: its workspace devDependencies. */
export function inlinedPackages(
  pkg: WorkspacePackage,
  workspace: readonly WorkspacePackage[],
): WorkspacePackage[] {
  const names = Object.entries(pkg.manifest.devDependencies ?? {})
    .filter(([, version]) => version.startsWith("workspace:"))
    .map(([name]) => name);
  return workspace.filter((p) => names.includes(p.manifest.name));
}

function sources(pkg: WorkspacePackage): string[] {
  return Object.values(pkg.manifest.exports ?? {}).map((target) => sourceOf(target)!);
}

async function bundleCode(pkg: WorkspacePackage, entry: string, outfile: string): Promise<void> {
  const { manifest } = pkg;
  const external = [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ];
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    external,
    conditions: [SOURCE_CONDITION],
    platform: "node",
    format: "esm",
    target: NODE_TARGET,
    sourcemap: "linked",
    metafile: true,
    logLevel: "warning",
  });
  const strays = Object.keys(result.metafile.inputs).filter((input) => input.includes("node_modules/"));
  if (strays.length > 0)
    throw new Error(
      `${manifest.name} would inline ${strays.join(", ")}: declare the package in its dependencies`,
    );
}

/**
 * dts-bundle-generator leaves out the import of a name that resolves to a UMD global: `Long`,
 * which the generated message types take from @grpc/proto-loader (it re-exports the long
 * package, `export as namespace Long`) for 64-bit fields. Without the import a consumer that
 * does not load proto-loader's types cannot resolve it (test/packaging/client-install.test.ts
 * type-checks one).
 */
function withLongImport(types: string): string {
  const usesLong = /\bLong\b/.test(types) && !/^import\b.*\bLong\b/m.test(types);
  return usesLong ? `import type { Long } from "@grpc/proto-loader";\n\n${types}` : types;
}

/**
 * One declaration file for an entry, the inlined packages' types included. They are mapped to
 * their sources with `paths`: reached through node_modules, tsc would treat them as external
 * libraries and emit nothing for them.
 */
async function bundleTypes(entry: string, libraries: readonly WorkspacePackage[]): Promise<string> {
  const paths = Object.fromEntries(
    libraries.flatMap((library) =>
      Object.entries(library.manifest.exports ?? {}).map(([subpath, target]) => [
        path.posix.join(library.manifest.name, subpath),
        [path.join(library.dir, sourceOf(target)!)],
      ]),
    ),
  );
  const work = await mkdtemp(path.join(os.tmpdir(), "pixellm-dts-"));
  try {
    const config = path.join(work, "tsconfig.json");
    const base = path.join(REPO_ROOT, "tsconfig.base.json");
    // typeRoots: outside the repository, tsc would look for @types/node beside this file.
    const typeRoots = [path.join(REPO_ROOT, "node_modules/@types")];
    await writeFile(
      config,
      JSON.stringify({ extends: base, compilerOptions: { paths, typeRoots }, files: [entry] }),
    );
    const [types] = generateDtsBundle([{ filePath: entry, output: { noBanner: true } }], {
      preferredConfigPath: config,
    });
    return withLongImport(types!);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Writes `<package>/dist` and the inlined packages' run-time files. */
export async function bundlePackage(
  pkg: WorkspacePackage,
  workspace: readonly WorkspacePackage[],
): Promise<void> {
  const libraries = inlinedPackages(pkg, workspace);
  const entries = sources(pkg);
  for (const source of entries) {
    const entry = path.join(pkg.dir, source);
    const outfile = path.join(pkg.dir, compiledPath(source));
    await bundleCode(pkg, entry, outfile);
    await writeFile(outfile.replace(/\.js$/, ".d.ts"), await bundleTypes(entry, libraries));
  }
  for (const library of libraries) {
    for (const file of library.manifest.files ?? []) {
      if (file === "dist") continue;
      if (!pkg.manifest.files?.includes(file))
        throw new Error(
          `${pkg.relativeDir}/package.json: "files" must list ${file} (inlined from ${library.manifest.name})`,
        );
      const target = path.join(pkg.dir, file);
      await rm(target, { recursive: true, force: true });
      await mkdir(path.dirname(target), { recursive: true });
      await cp(path.join(library.dir, file), target, { recursive: true });
    }
  }
}

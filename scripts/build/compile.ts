/**
 * Compiles a workspace package file by file: src/**\/*.ts → dist/**\/*.js with a source map
 * each, the tree mirrored, so that whatever a module finds relative to itself (a worker file
 * next to its loader, `import.meta.dirname`-relative paths) is in the same place in dist/.
 *
 * Sources import each other without extensions (`./stage`, `./kernels`); Node needs the file,
 * so each relative import is resolved here and written as the compiled file's path
 * (`./stage.js`, `./kernels/index.js`). A `new URL("./x.ts", import.meta.url)` that names a
 * sibling source (a worker entry) is rewritten to `./x.js` the same way. Package imports stay
 * as they are: node resolves `@pixellm/*` through each package's exports to its dist/.
 */
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import * as esbuild from "esbuild";
import type { WorkspacePackage } from "./workspace";

/** Node 20, the runtime of every image and of the repository (package.json engines). */
export const NODE_TARGET = "node20";

const RELATIVE = /^\.\.?(\/|$)/;
const SOURCE_URL = /(new URL\(\s*)(["'])(\.\.?\/[^"']+)\.ts\2(\s*,\s*import\.meta\.url\s*\))/g;

async function sourceFiles(srcDir: string): Promise<string[]> {
  const entries = await readdir(srcDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** The source file a relative import names: `x.ts`, or `x/index.ts` for a directory. */
function resolveSource(importer: string, specifier: string): string {
  const base = path.resolve(path.dirname(importer), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts")])
    if (existsSync(candidate)) return candidate;
  throw new Error(`${importer}: cannot resolve ${specifier} to a .ts file`);
}

function compiledSpecifier(importer: string, target: string): string {
  const relative = path.relative(path.dirname(importer), target).replace(/\.ts$/, ".js");
  return relative.startsWith(".") ? relative : `./${relative}`;
}

const mirrorSources: esbuild.Plugin = {
  name: "mirror-sources",
  setup(build) {
    build.onResolve({ filter: RELATIVE }, (args) => {
      if (args.kind === "entry-point") return undefined;
      return {
        path: compiledSpecifier(args.importer, resolveSource(args.importer, args.path)),
        external: true,
      };
    });
    // `.ts` → `.js` keeps every column where it was, so the source map needs no adjusting.
    build.onLoad({ filter: /\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, "utf8")).replace(SOURCE_URL, "$1$2$3.js$2$4"),
      loader: "ts",
    }));
  },
};

/** Writes `<package>/dist` from `<package>/src`. */
export async function compilePackage(pkg: WorkspacePackage): Promise<void> {
  const srcDir = path.join(pkg.dir, "src");
  const files = await sourceFiles(srcDir);
  await esbuild.build({
    entryPoints: files,
    outdir: path.join(pkg.dir, "dist"),
    outbase: srcDir,
    // "Bundling" only so that every import passes through the plugin; all of them stay external.
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: NODE_TARGET,
    sourcemap: "linked",
    sourcesContent: false,
    plugins: [mirrorSources],
    logLevel: "warning",
  });
}

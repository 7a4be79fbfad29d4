/**
 * How a package's entry points name both its sources and its build. Every `exports` entry maps
 * the source condition to `./src/<x>.ts` (what tsc, vitest and tsx load) and `default` to the
 * file the build writes from it, `./dist/<x>.js` (what node loads: the launcher, the chart, the
 * image, a user of the packed client); a `bin` names a compiled file. The build refuses a package
 * that breaks this, so that no package ships an entry point that dist/ does not have.
 */
import type { ExportTarget, WorkspacePackage } from "./workspace";

/** The condition under which workspace packages resolve to their TypeScript sources. */
export const SOURCE_CONDITION = "@pixellm/source";

/** Node arguments that run a TypeScript file of this repository from source (development only). */
export const FROM_SOURCE = ["--import", "tsx", `--conditions=${SOURCE_CONDITION}`] as const;

const SOURCE = /^\.\/src\/(.+)\.ts$/;
const COMPILED = /^\.\/dist\/(.+)\.js$/;

/** `./src/a/b.ts` → `./dist/a/b.js`: the build mirrors src/ into dist/. */
export function compiledPath(source: string): string {
  const match = SOURCE.exec(source);
  if (!match) throw new Error(`${source} is not a TypeScript file under ./src`);
  return `./dist/${match[1]}.js`;
}

/** The source file an exports entry names (a bare string is taken as the source). */
export function sourceOf(target: ExportTarget): string | undefined {
  return typeof target === "string" ? target : target[SOURCE_CONDITION];
}

function expectedTarget(source: string, withTypes: boolean): Record<string, string> {
  const compiled = compiledPath(source);
  return {
    [SOURCE_CONDITION]: source,
    ...(withTypes ? { types: compiled.replace(/\.js$/, ".d.ts") } : {}),
    default: compiled,
  };
}

function exportProblem(subpath: string, target: ExportTarget, withTypes: boolean): string | undefined {
  const source = sourceOf(target);
  if (!source || !SOURCE.test(source))
    return `exports["${subpath}"] has no "${SOURCE_CONDITION}" condition naming a file under ./src`;
  const expected = expectedTarget(source, withTypes);
  // Key order matters: node and tsc take the first condition that matches.
  if (JSON.stringify(target) !== JSON.stringify(expected))
    return `exports["${subpath}"] must be ${JSON.stringify(expected)}`;
  return undefined;
}

/** What is wrong with a package's exports, bin and files (empty: nothing). */
export function entryPointProblems(pkg: WorkspacePackage): string[] {
  const { manifest } = pkg;
  // Only a package installed outside the workspace ships declarations (see bundle.ts).
  const withTypes = manifest.private !== true;
  const problems = Object.entries(manifest.exports ?? {}).flatMap(
    ([subpath, target]) => exportProblem(subpath, target, withTypes) ?? [],
  );
  for (const [name, file] of Object.entries(manifest.bin ?? {})) {
    if (!COMPILED.test(file))
      problems.push(`bin "${name}" must name a compiled file, ./dist/<x>.js (got ${file})`);
  }
  if (manifest.exports && !manifest.files?.includes("dist"))
    problems.push(`"files" must list "dist" (the production image copies only a package's files)`);
  return problems.map((problem) => `${pkg.relativeDir}/package.json: ${problem}`);
}

/**
 * The build to JavaScript: a package compiles file by file into a dist/ that mirrors src/ and
 * runs on plain node (extensionless imports resolved, a worker entry next to its loader found
 * through `new URL(…, import.meta.url)`); only changed packages are rebuilt; every workspace
 * package's entry points name what the build writes; and the development tools (tsc, vitest,
 * every tsx script) resolve the workspace to its sources under the same condition.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, readdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { compilePackage } from "../../scripts/build/compile";
import { SOURCE_CONDITION, entryPointProblems } from "../../scripts/build/entry-points";
import { isFresh, stamp } from "../../scripts/build/freshness";
import { REPO_ROOT, type WorkspacePackage, workspacePackages } from "../../scripts/build/workspace";
import viteConfig from "../../vitest.config";
import { tempDir } from "../support/tiny-bundle";

const run = promisify(execFile);

const FIXTURE: Readonly<Record<string, string>> = {
  "src/index.ts": [
    'import { Worker } from "node:worker_threads";',
    'import { double } from "./math";',
    'import { LABEL } from "./labels";',
    "// A worker entry beside its loader, named by its source file as the sources name it.",
    'const worker = new Worker(new URL("./runtime/worker.ts", import.meta.url), { workerData: double(21) });',
    'worker.once("message", (value: number) => {',
    "  console.log(`${LABEL} ${value}`);",
    "  void worker.terminate();",
    "});",
  ].join("\n"),
  "src/math.ts": "export const double = (x: number): number => 2 * x;\n",
  "src/labels/index.ts": 'export type Label = string;\nexport const LABEL: Label = "answer";\n',
  "src/runtime/worker.ts": [
    'import { parentPort, workerData } from "node:worker_threads";',
    'import { double } from "../math";',
    "parentPort!.postMessage(double(workerData as number) / 2);",
  ].join("\n"),
};

async function fixturePackage(): Promise<WorkspacePackage> {
  const dir = await tempDir("build-fixture");
  for (const [file, text] of Object.entries(FIXTURE)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  const manifest = {
    name: "@fixture/worker",
    private: true,
    type: "module",
    exports: { ".": { [SOURCE_CONDITION]: "./src/index.ts", default: "./dist/index.js" } },
    files: ["dist"],
  };
  await writeFile(path.join(dir, "package.json"), JSON.stringify(manifest));
  return { dir, relativeDir: "fixture", manifest };
}

describe("compiling a package", () => {
  it("mirrors src/ into dist/ with source maps, and the result runs on plain node with its worker", async () => {
    const pkg = await fixturePackage();
    await compilePackage(pkg);
    const dist = path.join(pkg.dir, "dist");
    const files = (await readdir(dist, { recursive: true })).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        "index.js",
        "index.js.map",
        "labels/index.js",
        "math.js",
        "runtime/worker.js",
        "runtime/worker.js.map",
      ]),
    );
    const index = await readFile(path.join(dist, "index.js"), "utf8");
    expect(index).toContain('from "./math.js"');
    expect(index).toContain('from "./labels/index.js"');
    expect(index).toContain('new URL("./runtime/worker.js", import.meta.url)');
    const { stdout } = await run(process.execPath, [path.join(dist, "index.js")], { env: { PATH: "" } });
    expect(stdout.trim()).toBe("answer 42");
  });

  it("is fresh after a build, and stale once a source file changes or one is added", async () => {
    const pkg = await fixturePackage();
    await compilePackage(pkg);
    await stamp(pkg);
    expect(await isFresh(pkg, [])).toBe(true);
    const at = (seconds: number) => new Date(Date.now() + seconds * 1000);
    await utimes(path.join(pkg.dir, "src/math.ts"), at(10), at(10));
    expect(await isFresh(pkg, [])).toBe(false);

    await utimes(path.join(pkg.dir, "dist/.built"), at(20), at(20));
    expect(await isFresh(pkg, [])).toBe(true);
    await writeFile(path.join(pkg.dir, "src/extra.ts"), "export {};\n");
    await utimes(path.join(pkg.dir, "src/extra.ts"), at(0), at(0)); // an old file moved in
    await utimes(path.join(pkg.dir, "src"), at(30), at(30)); // what adding it does to the directory
    expect(await isFresh(pkg, [])).toBe(false);
  });
});

describe("the workspace's entry points", () => {
  it("every package names its sources under the source condition and its build as the default", async () => {
    const packages = await workspacePackages();
    expect(packages.map((p) => p.relativeDir)).toEqual(
      expect.arrayContaining(["packages/client", "protos", "services/gateway", "services/llm"]),
    );
    expect(packages.flatMap(entryPointProblems)).toEqual([]);
  });

  it("refuses an export that points at a source file node cannot run, and says what it must be", () => {
    const pkg: WorkspacePackage = {
      dir: "/nowhere",
      relativeDir: "packages/muse",
      manifest: { name: "@pixellm/muse", private: true, exports: { ".": "./src/index.ts" }, files: ["dist"] },
    };
    expect(entryPointProblems(pkg)).toEqual([
      `packages/muse/package.json: exports["."] must be {"${SOURCE_CONDITION}":"./src/index.ts","default":"./dist/index.js"}`,
    ]);
  });
});

describe("the development tools resolve the workspace to its sources", () => {
  it("tsc and vitest use the source condition", () => {
    const read = (file: string) => ts.sys.readFile(file);
    const { config } = ts.readConfigFile(path.join(REPO_ROOT, "tsconfig.json"), read) as { config: unknown };
    const options = ts.parseJsonConfigFileContent(config, ts.sys, REPO_ROOT).options;
    expect(options.customConditions).toEqual([SOURCE_CONDITION]);
    expect(viteConfig.ssr?.resolve?.conditions).toEqual([SOURCE_CONDITION]);
  });

  it("every package script that runs tsx passes the source condition", async () => {
    const manifests = [REPO_ROOT, ...(await workspacePackages()).map((p) => p.dir)].map((dir) =>
      path.join(dir, "package.json"),
    );
    const tsxScripts: string[] = [];
    for (const file of manifests) {
      const { scripts = {} } = JSON.parse(await readFile(file, "utf8")) as {
        scripts?: Record<string, string>;
      };
      for (const [name, command] of Object.entries(scripts))
        for (const call of command.match(/\btsx\b[^&|;]*/g) ?? []) tsxScripts.push(`${name}: ${call.trim()}`);
    }
    expect(tsxScripts.length).toBeGreaterThan(5);
    expect(tsxScripts.filter((s) => !s.includes(`tsx --conditions=${SOURCE_CONDITION} `))).toEqual([]);
  });
});

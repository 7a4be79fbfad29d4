/**
 * `helm template` of helm/pixellm, the one way the generator and the deploy tests render the
 * chart. The Kubernetes version is pinned so that .Capabilities match the schemas the tests
 * validate against.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { toolPath } from "../tools";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const CHART_DIR = path.join(REPO_ROOT, "helm", "pixellm");
/** The Kubernetes version the manifests are rendered for and validated against. */
export const KUBE_VERSION = "1.31.0";

const run = promisify(execFile);

export interface RenderOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** Values files, later ones win (paths relative to the repository root or absolute). */
  readonly valuesFiles?: readonly string[];
  /** --set-json entries: "path=json". */
  readonly setJson?: readonly string[];
  readonly showOnly?: readonly string[];
}

export class HelmError extends Error {
  override name = "HelmError";
}

function helmArgs(options: RenderOptions = {}): string[] {
  return [
    "--namespace",
    options.namespace ?? "pixellm",
    "--kube-version",
    KUBE_VERSION,
    ...(options.valuesFiles ?? []).flatMap((f) => ["--values", path.resolve(REPO_ROOT, f)]),
    ...(options.setJson ?? []).flatMap((s) => ["--set-json", s]),
    ...(options.showOnly ?? []).flatMap((s) => ["--show-only", s]),
  ];
}

/** Runs helm; its stderr becomes the message of a HelmError when it fails. */
export async function helm(args: readonly string[]): Promise<string> {
  const binary = await toolPath("helm");
  try {
    const { stdout } = await run(binary, [...args], { cwd: REPO_ROOT, maxBuffer: 64 * 2 ** 20 });
    return stdout;
  } catch (error) {
    const failure = error as { stderr?: string; stdout?: string; message: string };
    throw new HelmError(`${failure.stderr || failure.stdout || failure.message}`.trim());
  }
}

/** The rendered manifests as one multi-document YAML string. */
export function renderChart(options: RenderOptions = {}): Promise<string> {
  return helm(["template", options.release ?? "pixellm", CHART_DIR, ...helmArgs(options)]);
}

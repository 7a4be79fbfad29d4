/**
 * Opens a model bundle directory and verifies it before any service trusts it: the manifest's
 * format and version, every listed file present with its size, and (by default) its sha256.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { codebookTokenNames } from "@pixellm/checkpoint";
import { BundleError } from "./errors";
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleManifest,
  GRAPH_NAMES,
  type GraphName,
  MANIFEST_FILE,
} from "./manifest";

/** "sha256" reads every byte (minutes for a 13 GB bundle on slow disks); "size" checks sizes only. */
export type BundleVerification = "sha256" | "size";

export interface LoadedBundle {
  readonly dir: string;
  readonly manifest: BundleManifest;
  /** sha256 of pixellm.json: replicas serving the same bundle report the same digest. */
  readonly digest: string;
  /** Absolute path of a file inside the bundle. */
  path(file: string): string;
  graphPath(graph: GraphName): string;
}

export async function loadBundle(dir: string, verify: BundleVerification = "sha256"): Promise<LoadedBundle> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, "utf8");
  } catch {
    throw new BundleError(
      `${dir} is not a model bundle: ${MANIFEST_FILE} is missing (create one with \`pnpm pixellm export\` or \`pnpm pixellm make-tiny\`)`,
    );
  }
  let manifest: BundleManifest;
  try {
    manifest = withCodebookNames(JSON.parse(text) as BundleManifest);
  } catch (error) {
    throw new BundleError(`${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
  if (manifest.format !== BUNDLE_FORMAT || manifest.version !== BUNDLE_VERSION) {
    throw new BundleError(
      `${manifestPath} is format ${JSON.stringify(manifest.format)} v${String(manifest.version)}; this build reads ${BUNDLE_FORMAT} v${BUNDLE_VERSION}: re-export the bundle`,
    );
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const graph of GRAPH_NAMES) {
    const entry = manifest.graphs[graph];
    if (!entry || !listed.has(entry.file))
      throw new BundleError(`${manifestPath} does not list the ${graph} graph with a checksum`);
  }
  for (const file of manifest.files) await verifyFile(dir, file, verify);
  const resolve = (file: string) => path.join(dir, file);
  const digest = createHash("sha256").update(text).digest("hex");
  return { dir, manifest, digest, path: resolve, graphPath: (graph) => resolve(manifest.graphs[graph].file) };
}

/**
 * Bundles exported before `tokens.codebookNames` was written: their names are the ones the
 * exporter resolved the `seg` ids by, so the same function gives them back (same format version:
 * the field is only added, and older readers ignore it).
 */
function withCodebookNames(manifest: BundleManifest): BundleManifest {
  if (manifest.tokens?.codebookNames || !manifest.config) return manifest;
  return { ...manifest, tokens: { ...manifest.tokens, codebookNames: codebookTokenNames(manifest.config) } };
}

async function verifyFile(
  dir: string,
  file: { path: string; bytes: number; sha256: string },
  verify: BundleVerification,
): Promise<void> {
  if (path.isAbsolute(file.path) || file.path.split(/[\\/]/).includes("..")) {
    throw new BundleError(`bundle file ${file.path} points outside the bundle directory`);
  }
  const full = path.join(dir, file.path);
  let size: number;
  try {
    size = (await stat(full)).size;
  } catch {
    throw new BundleError(`bundle file ${file.path} is missing from ${dir}`);
  }
  if (size !== file.bytes)
    throw new BundleError(
      `bundle file ${file.path} has ${size} bytes; the manifest says ${file.bytes} (truncated or replaced)`,
    );
  if (verify === "sha256" && (await sha256File(full)) !== file.sha256) {
    throw new BundleError(
      `bundle file ${file.path} does not match its sha256 in the manifest (corrupted or replaced)`,
    );
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 8 * 2 ** 20 }))
    hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Official-layout checkpoint + CLIP tower → model bundle: the four graphs, the tokenizer files
 * (loaded and checked against the model first) and `pixellm.json` with a sha256 of every file. The bundle is written into a sibling staging
 * directory and renamed into place at the end, so a failed export never leaves a half bundle
 * where a service could load it.
 */
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { type CheckpointPaths, codebookSize, codebookTokenNames, openCheckpoint } from "@pixellm/checkpoint";
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleFile,
  type BundleManifest,
  type GraphEntry,
  type GraphName,
  MANIFEST_FILE,
  sha256File,
} from "@pixellm/bundle";
import { type FloatType, type GraphDefinition, writeModel } from "@pixellm/onnx";
import { numel } from "@pixellm/tensor";
import { buildDecoderGraph } from "../graphs/decoder-graph";
import { buildEmbedGraph } from "../graphs/embed-graph";
import { IMAGE_SIZE, LLM_IMAGE_TOKENS, LOW_RES_MASK_SIZE, PATCH_GRID } from "../graphs/geometry";
import { buildLlmGraph } from "../graphs/llm-graph";
import { buildVisionGraph } from "../graphs/vision-graph";
import type { ExportContext } from "./export-context";
import { checkTokenizer } from "./tokenizer-check";

// The same values as @pixellm/tokenizer's IMAGE_TOKEN_INDEX and @pixellm/image's PIXEL_MEAN/STD,
// recorded in the manifest (this package depends on neither).
const IMAGE_TOKEN_INDEX = -200;
const PIXEL_MEAN: readonly [number, number, number] = [123.675, 116.28, 103.53];
const PIXEL_STD: readonly [number, number, number] = [58.395, 57.12, 57.375];

export interface ExportOptions extends CheckpointPaths {
  readonly outDir: string;
  readonly dtype: FloatType;
  /** Bundle name recorded in the manifest; defaults to the checkpoint directory's name. */
  readonly name?: string;
  /** Replace an existing bundle at outDir. */
  readonly force?: boolean;
  /** "auto" puts weights in external data only for graphs over the protobuf limit. */
  readonly externalData?: "auto" | "always" | "never";
  readonly onProgress?: (event: ExportProgress) => void;
}

export type ExportProgress =
  | { readonly kind: "graph-start"; readonly graph: GraphName }
  | {
      readonly kind: "graph-bytes";
      readonly graph: GraphName;
      readonly written: number;
      readonly total: number;
    }
  | {
      readonly kind: "graph-done";
      readonly graph: GraphName;
      readonly parameters: number;
      readonly bytes: number;
    };

export interface ExportSummary {
  readonly outDir: string;
  readonly manifest: BundleManifest;
  readonly parameters: Readonly<Record<GraphName, number>>;
  readonly totalParameters: number;
  readonly totalBytes: number;
  readonly seconds: number;
}

const BUILDERS: Readonly<
  Record<GraphName, (ctx: ExportContext) => GraphDefinition | Promise<GraphDefinition>>
> = {
  vision: buildVisionGraph,
  embed: buildEmbedGraph,
  llm: buildLlmGraph,
  decoder: buildDecoderGraph,
};

export async function exportBundle(options: ExportOptions): Promise<ExportSummary> {
  const started = performance.now();
  await refuseExisting(options.outDir, options.force ?? false);
  const checkpoint = await openCheckpoint(options);
  const staging = `${options.outDir.replace(/[\\/]+$/, "")}.partial-${process.pid}`;
  try {
    await checkTokenizer(options.checkpointDir, checkpoint.config, checkpoint.tokens);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    const ctx: ExportContext = {
      config: checkpoint.config,
      clip: checkpoint.clip,
      llm: checkpoint.llm,
      vision: checkpoint.vision,
      floatType: options.dtype,
    };
    const files: BundleFile[] = [];
    const graphs = {} as Record<GraphName, GraphEntry>;
    // Every graph is described (and every tensor's name, shape and dtype checked) before any
    // file is written: a bad checkpoint fails in seconds, not after gigabytes of output.
    const names = Object.keys(BUILDERS) as GraphName[];
    const definitions = new Map<GraphName, GraphDefinition>();
    for (const name of names) definitions.set(name, await BUILDERS[name](ctx));
    const isCheckpointTensor = (tensor: string) =>
      checkpoint.llm.has(tensor) || checkpoint.vision.has(tensor);
    for (const name of names) {
      const graph = definitions.get(name)!;
      options.onProgress?.({ kind: "graph-start", graph: name });
      const written = await writeModel(graph, path.join(staging, `${name}.onnx`), {
        externalData: options.externalData ?? "auto",
        metadata: { pixellm_graph: name, pixellm_dtype: options.dtype },
        onProgress: (done, total) =>
          options.onProgress?.({ kind: "graph-bytes", graph: name, written: done, total }),
      });
      files.push(...written.files.map((f) => ({ path: f.file, bytes: f.bytes, sha256: f.sha256 })));
      const parameters = checkpointParameters(graph, isCheckpointTensor);
      graphs[name] = { file: `${name}.onnx`, inputs: graph.inputs, outputs: graph.outputs, parameters };
      const bytes = written.files.reduce((sum, f) => sum + f.bytes, 0);
      options.onProgress?.({ kind: "graph-done", graph: name, parameters, bytes });
    }
    const tokenizerFiles: string[] = [];
    for (const source of checkpoint.tokenizerFiles) {
      const file = path.basename(source);
      await copyFile(source, path.join(staging, file));
      files.push({ path: file, bytes: (await stat(source)).size, sha256: await sha256File(source) });
      tokenizerFiles.push(file);
    }
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      name: options.name ?? path.basename(path.resolve(options.checkpointDir)),
      createdAt: new Date().toISOString(),
      dtype: options.dtype,
      config: checkpoint.config,
      clip: checkpoint.clip,
      tokens: {
        ...checkpoint.tokens,
        imageTokenIndex: IMAGE_TOKEN_INDEX,
        codebookNames: codebookTokenNames(checkpoint.config),
      },
      preprocessing: {
        imageSize: IMAGE_SIZE,
        patchSize: checkpoint.clip.patch_size,
        pixelMean: PIXEL_MEAN,
        pixelStd: PIXEL_STD,
        resample: "pil-bilinear",
      },
      geometry: {
        llmImageTokens: LLM_IMAGE_TOKENS,
        patchGrid: PATCH_GRID,
        lowResMaskSize: LOW_RES_MASK_SIZE,
        codebookSize: codebookSize(checkpoint.config),
      },
      graphs,
      tokenizerFiles,
      files,
    };
    await writeFile(path.join(staging, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
    await rm(options.outDir, { recursive: true, force: true });
    await mkdir(path.dirname(path.resolve(options.outDir)), { recursive: true });
    await rename(staging, options.outDir);
    const parameters = Object.fromEntries(
      Object.entries(graphs).map(([k, v]) => [k, v.parameters]),
    ) as Record<GraphName, number>;
    return {
      outDir: options.outDir,
      manifest,
      parameters,
      totalParameters: Object.values(parameters).reduce((a, b) => a + b, 0),
      totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  } finally {
    await checkpoint.close();
  }
}

/** Weights taken from the checkpoint (derived constants such as PE and rotary tables excluded). */
function checkpointParameters(graph: GraphDefinition, isCheckpointTensor: (name: string) => boolean): number {
  let count = 0;
  for (const [name, source] of graph.initializers) if (isCheckpointTensor(name)) count += numel(source.dims);
  return count;
}

async function refuseExisting(outDir: string, force: boolean): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(outDir);
  } catch {
    return;
  }
  if (entries.length > 0 && !force) {
    throw new ExportTargetError(
      `${outDir} already exists and is not empty; choose another --out or pass --force to replace it`,
    );
  }
}

export class ExportTargetError extends Error {
  override name = "ExportTargetError";
}

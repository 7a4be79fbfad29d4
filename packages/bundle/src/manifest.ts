/**
 * `pixellm.json`, the manifest of a model bundle: everything a stage service needs besides the
 * files themselves — configs, token ids, preprocessing constants, graph I/O, and checksums.
 */
import type { ClipVisionConfig, PixelLMConfig, SpecialTokenIds } from "@pixellm/checkpoint";
import type { ValueInfo } from "@pixellm/onnx";

export const MANIFEST_FILE = "pixellm.json";
export const BUNDLE_FORMAT = "pixellm-bundle";
/** 2: llm.onnx reads a static KV cache and returns only the new positions' keys and values. */
export const BUNDLE_VERSION = 2;

export type GraphName = "vision" | "embed" | "llm" | "decoder";
export const GRAPH_NAMES: readonly GraphName[] = ["vision", "embed", "llm", "decoder"];

/**
 * The llm graph's KV cache inputs (the cache) and outputs (the positions a run adds to it), per
 * layer; the exporter and the engine agree on these.
 */
export const pastKeyName = (layer: number) => `past_key_values.${layer}.key`;
export const pastValueName = (layer: number) => `past_key_values.${layer}.value`;
export const newKeyName = (layer: number) => `new_key_values.${layer}.key`;
export const newValueName = (layer: number) => `new_key_values.${layer}.value`;

/**
 * Intermediate tensors the graphs also output, under the official code's names, for
 * `pixellm segment --dump` only: the serving stages never fetch them (openSessions leaves them
 * out). Bundles exported before these existed simply lack them.
 */
export const DUMP_OUTPUTS = {
  /** vision: `image_features = hidden_states[-2][:, 1:]` (CLIP layer 23), [B,1024,W] */
  imageFeatures: "image_features",
  /** vision: `pre_image_features = hidden_states[-11][:, 1:]` (CLIP layer 14), [B,1024,W] */
  preImageFeatures: "pre_image_features",
  /** decoder: `text_hidden_fcs` of the codebook hidden states, [N·C,D] */
  predEmbeddings: "pred_embeddings",
  /** decoder: the fused prompts E (`sparse_embeddings`), [N,2,D] */
  sparseEmbeddings: "sparse_embeddings",
  /** decoder: `l_low_res_masks` of level 0 ([N,1,64,64]) and level 1 ([N,1,128,128]) */
  levelMasks: ["l_low_res_masks_0", "l_low_res_masks_1"],
} as const;

const DUMP_OUTPUT_NAMES: ReadonlySet<string> = new Set(Object.values(DUMP_OUTPUTS).flat());

export function isDumpOutput(name: string): boolean {
  return DUMP_OUTPUT_NAMES.has(name);
}

export interface GraphEntry {
  /** The .onnx file; an external-data file, if any, is listed in `files` too. */
  readonly file: string;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly parameters: number;
}

export interface BundleFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface Preprocessing {
  /** Longest side after resizing, and the square canvas it is zero-padded into (bottom/right). */
  readonly imageSize: number;
  readonly patchSize: number;
  /** ImageNet mean/std in 0–255 units (the SAM constants; not CLIP's). */
  readonly pixelMean: readonly [number, number, number];
  readonly pixelStd: readonly [number, number, number];
  /** PIL bilinear with antialias, as torchvision's resize of a PIL image does. */
  readonly resample: "pil-bilinear";
}

export interface Geometry {
  readonly llmImageTokens: number;
  readonly patchGrid: number;
  readonly lowResMaskSize: number;
  /** SEG tokens per target: seg_token_num × image_feature_scale_num. */
  readonly codebookSize: number;
}

export interface BundleManifest {
  readonly format: typeof BUNDLE_FORMAT;
  readonly version: typeof BUNDLE_VERSION;
  readonly name: string;
  readonly createdAt: string;
  /** Float type of weights and activations inside the graphs; graph I/O is float32 except KV. */
  readonly dtype: "float32" | "float16";
  readonly config: PixelLMConfig;
  readonly clip: ClipVisionConfig;
  readonly tokens: SpecialTokenIds & {
    readonly imageTokenIndex: number;
    /**
     * [SEG0] … [SEG{n-1}]: the names of the `seg` ids, in codebook order. Readers of the
     * manifest (the gateway, the engine) reserve them in queries and format answers by them
     * without the checkpoint's configuration code. Bundles exported before the field existed get
     * it when loaded (see load-bundle.ts).
     */
    readonly codebookNames: readonly string[];
  };
  readonly preprocessing: Preprocessing;
  readonly geometry: Geometry;
  readonly graphs: Readonly<Record<GraphName, GraphEntry>>;
  readonly tokenizerFiles: readonly string[];
  readonly files: readonly BundleFile[];
}

/**
 * Each stage method's request limits, sized from the bundle to its largest legitimate request:
 * the gateway sends one image per call, so a request carries at most one image's tensors,
 * plus ids and codebook rows bounded by the LLM's positions (max_position_embeddings).
 *
 *   Encode    pixel_values float32[1,3,S,S] (resized_rgb uint8[S,S,3] is smaller)
 *   Generate  one image's vision outputs + prompt_ids and answer_ids, each ≤ positions
 *   Decode    one image's vision outputs + codebook_hidden float32[n,H], n ≤ positions
 *
 * Symbolic graph dimensions (batch, images) count as 1.
 */
import { type BundleManifest, isDumpOutput } from "@pixellm/bundle";
import { DTYPE_BYTES, byteLengthOf } from "@pixellm/tensor";
import type { RequestLimits } from "./request-limits";
import type { FieldCaps } from "./wire-caps";

/** Room for a request's ids, names, sizes and protobuf framing besides its tensors. */
export const REQUEST_ENVELOPE_BYTES = 64 * 1024;
/** A varint int64 takes at most 10 bytes on the wire. */
const MAX_VARINT_BYTES = 10;
/** More dimensions than any graph tensor has. */
const MAX_TENSOR_RANK = 8;

const TENSOR_CAPS: FieldCaps = { 2: { name: "shape", maxCount: MAX_TENSOR_RANK, packedVarints: true } };

export interface StageRequestLimits {
  readonly vision: RequestLimits;
  readonly llm: RequestLimits;
  readonly decoder: RequestLimits;
}

export function stageRequestLimits(manifest: BundleManifest): StageRequestLimits {
  const positions = manifest.config.max_position_embeddings;
  const imageBytes = sumBytes(manifest.graphs.vision.inputs);
  const visionOutputBytes = sumBytes(manifest.graphs.vision.outputs.filter((o) => !isDumpOutput(o.name)));
  const basis = (what: string) =>
    `${what}, from the bundle's graphs and max_position_embeddings ${positions}, plus ${REQUEST_ENVELOPE_BYTES} bytes`;
  const tensor = (name: string) => ({ name, fields: TENSOR_CAPS });
  const ids = (name: string) => ({ name, maxCount: positions, packedVarints: true });
  return {
    vision: {
      Encode: {
        maxBytes: imageBytes + REQUEST_ENVELOPE_BYTES,
        basis: basis("one image's vision inputs"),
        fields: { 2: tensor("pixel_values"), 4: tensor("resized_rgb") },
      },
    },
    llm: {
      Generate: {
        maxBytes: visionOutputBytes + 2 * positions * MAX_VARINT_BYTES + REQUEST_ENVELOPE_BYTES,
        basis: basis("one image's vision outputs and two id lists of the LLM's positions"),
        fields: {
          2: ids("prompt_ids"),
          3: tensor("image_embeds"),
          4: tensor("image_mask"),
          6: ids("answer_ids"),
        },
      },
    },
    decoder: {
      Decode: {
        maxBytes:
          visionOutputBytes +
          positions * manifest.config.hidden_size * DTYPE_BYTES.float32 +
          REQUEST_ENVELOPE_BYTES,
        basis: basis("one image's vision outputs and a codebook row per LLM position"),
        fields: { 2: tensor("codebook_hidden"), 3: tensor("decoder_features") },
      },
    },
  };
}

type GraphValues = BundleManifest["graphs"]["vision"]["inputs"];

function sumBytes(values: GraphValues): number {
  const oneIfSymbolic = (d: GraphValues[number]["dims"][number]) => (typeof d === "number" ? d : 1);
  return values.reduce((sum, v) => sum + byteLengthOf(v.dtype, v.dims.map(oneIfSymbolic)), 0);
}

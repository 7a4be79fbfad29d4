/**
 * The public service's request limits, checked before a request is decoded (service-kit's
 * request-limits.ts): a Segment or SubmitJob is at most an image of GATEWAY_MAX_IMAGE_BYTES, a
 * question of GATEWAY_MAX_QUERY_CHARS and answer ids up to the model's positions, plus framing;
 * the job calls carry only a job id. The fields are capped on the wire too, so a request within
 * its byte limit still cannot carry millions of `answer_ids`.
 */
import type { BundleManifest } from "@pixellm/bundle";
import { type FieldCaps, REQUEST_ENVELOPE_BYTES, type RequestLimits } from "@pixellm/service-kit";
import type { GatewayConfig } from "./config";

/** A job id or an idempotency key and framing. */
export const JOB_REQUEST_BYTES = 4 * 1024;
/** A UTF-16 code unit (what GATEWAY_MAX_QUERY_CHARS counts) is at most 3 bytes of UTF-8. */
const UTF8_BYTES_PER_CHAR = 3;
/** A varint int64 takes at most 10 bytes on the wire. */
const MAX_VARINT_BYTES = 10;

export function publicRequestLimits(
  config: Pick<GatewayConfig, "maxImageBytes" | "maxQueryChars">,
  manifest: BundleManifest,
): RequestLimits {
  const positions = manifest.config.max_position_embeddings;
  const segmentFields: FieldCaps = {
    1: { name: "image", maxBytes: config.maxImageBytes, source: "GATEWAY_MAX_IMAGE_BYTES" },
    2: {
      name: "query",
      maxBytes: config.maxQueryChars * UTF8_BYTES_PER_CHAR,
      source: "GATEWAY_MAX_QUERY_CHARS",
    },
    6: {
      name: "answer_ids",
      maxCount: positions,
      packedVarints: true,
      source: "the model's max_position_embeddings",
    },
  };
  const segmentBytes =
    config.maxImageBytes +
    config.maxQueryChars * UTF8_BYTES_PER_CHAR +
    positions * MAX_VARINT_BYTES +
    REQUEST_ENVELOPE_BYTES;
  const segmentBasis = `GATEWAY_MAX_IMAGE_BYTES plus the question, ${positions} answer ids and ${REQUEST_ENVELOPE_BYTES} bytes`;
  const segment = { maxBytes: segmentBytes, basis: segmentBasis, fields: segmentFields };
  const job = { maxBytes: JOB_REQUEST_BYTES, basis: "a job id" };
  return {
    Segment: segment,
    SegmentStream: segment,
    SubmitJob: {
      maxBytes: segmentBytes + JOB_REQUEST_BYTES,
      basis: `${segmentBasis}, and an idempotency key`,
      fields: { 1: { name: "request", fields: segmentFields } },
    },
    GetJob: job,
    WatchJob: job,
    CancelJob: job,
  };
}

/**
 * An image worker thread of the gateway: decodes an admitted image, resizes it for CLIP and
 * hashes its bytes, off the event loop that answers health checks and streams results (a
 * 6300×6300 PNG is seconds of pixel work). Started by image-workers.ts.
 */
import { createHash } from "node:crypto";
import { type DecodeLimits, ImageInputError, decodeImage, resizeForClip } from "@pixellm/image";
import { EngineError } from "@pixellm/errors";
import { serveWorker } from "@pixellm/workers";
import type { DecodedImage } from "./image-workers";

function decode(bytes: Uint8Array, limits: Partial<DecodeLimits>, size: number): Promise<DecodedImage> {
  return decodeImage(bytes, limits).then(
    (original) => ({
      hash: createHash("sha256").update(bytes).digest("hex"),
      original: [original.height, original.width] as const,
      resized: resizeForClip(original, size),
    }),
    (error: unknown) => {
      if (error instanceof ImageInputError) throw new EngineError("invalid_argument", error.message);
      throw error;
    },
  );
}

serveWorker(() => Promise.resolve({ target: { decode }, info: null }));

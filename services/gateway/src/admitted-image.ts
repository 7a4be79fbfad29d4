/**
 * Admitted images live in the blob store (Redis) by content hash while their jobs wait and run:
 * the resized RGB only, since every later step starts from it. Each job holds its image; the
 * image goes when the last job holding it has its result (`releaseAdmittedImage`), or else when
 * its time to live ends. An image outlives every job that can still run, so a job that finds none
 * lost it with the store's data (a Redis restart without persistence): it fails with a retryable
 * status that says to submit it again (which admits the image anew).
 */
import { status } from "@grpc/grpc-js";
import type { RgbImage } from "@pixellm/image";
import { makeTensor } from "@pixellm/tensor";
import { JobFailureError } from "./queue/job-failure";
import type { RedisKeys } from "./redis-keys";
import type { BlobStore } from "./store/blob-store";
import { pack, unpack } from "./store/packed";

/** Stores the image for job `jobId` (or extends it, when another job holds it too). */
export async function storeAdmittedImage(
  blobs: BlobStore,
  keys: RedisKeys,
  hash: string,
  image: RgbImage,
  ttlSeconds: number,
  jobId: string,
): Promise<void> {
  await blobs.setHeld(
    keys.image(hash),
    pack(null, { rgb: makeTensor("uint8", [image.height, image.width, 3], image.data) }),
    ttlSeconds,
    jobId,
  );
}

/** Job `jobId` no longer needs its image: it goes unless another job holds it. */
export async function releaseAdmittedImage(
  blobs: BlobStore,
  keys: RedisKeys,
  hash: string,
  jobId: string,
): Promise<void> {
  await blobs.release(keys.image(hash), jobId);
}

export async function loadAdmittedImage(blobs: BlobStore, keys: RedisKeys, hash: string): Promise<RgbImage> {
  const stored = await blobs.get(keys.image(hash));
  if (!stored)
    throw new JobFailureError({
      code: status.UNAVAILABLE,
      message:
        "the job's image is no longer stored (lost by the job store, or it waited past its time to live); submit it again",
      retryable: true,
    });
  const rgb = unpack<null>(stored).tensors.rgb!;
  return { height: rgb.shape[0]!, width: rgb.shape[1]!, data: rgb.data as Uint8Array };
}

/**
 * The gateway's image workers: admission's decoding, resizing and hashing run in a few worker
 * threads (image-worker-entry), each image on the least busy one, so the event loop keeps
 * answering while a large image is decoded.
 */
import type { Worker } from "node:worker_threads";
import type { DecodeLimits, RgbImage } from "@pixellm/image";
import { type CallClient, startWorker } from "@pixellm/workers";
import { BoundedGate } from "./bounded-gate";

export interface DecodedImage {
  /** sha256 of the encoded bytes. */
  readonly hash: string;
  /** [H, W] of the decoded image. */
  readonly original: readonly [number, number];
  /** Resized so its longer side is the canvas size, as CLIP's preprocessing does. */
  readonly resized: RgbImage;
}

interface ImageWorker {
  readonly worker: Worker;
  readonly client: CallClient;
  busy: number;
}

export interface DecodeConcurrency {
  readonly maxDecodes: number;
  readonly maxWaiting: number;
}

export class ImageWorkers {
  private readonly gate: BoundedGate;

  private constructor(
    private readonly workers: readonly ImageWorker[],
    concurrency: DecodeConcurrency,
  ) {
    this.gate = new BoundedGate({
      running: concurrency.maxDecodes,
      waiting: concurrency.maxWaiting,
      describe: "image decoding (GATEWAY_MAX_DECODES, GATEWAY_MAX_DECODE_QUEUE)",
    });
  }

  static async start(count: number, concurrency: DecodeConcurrency): Promise<ImageWorkers> {
    const started = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        startWorker<null>(new URL("./image-worker-entry.ts", import.meta.url), null, `pixellm-image-${i}`),
      ),
    );
    return new ImageWorkers(
      started.map(({ worker, client }) => ({ worker, client, busy: 0 })),
      concurrency,
    );
  }

  /**
   * Bad input fails with an invalid_argument EngineError naming the problem, a full decode
   * queue with resource_exhausted. The header's dimensions are checked against
   * `limits.maxPixels` before any pixel is decoded (decodeImage).
   */
  decode(bytes: Uint8Array, limits: Partial<DecodeLimits>, size: number): Promise<DecodedImage> {
    return this.gate.run(() => this.decodeOnLeastBusy(bytes, limits, size));
  }

  /** Decodes running and waiting now. */
  get load(): { readonly running: number; readonly waiting: number } {
    return this.gate.load;
  }

  private async decodeOnLeastBusy(
    bytes: Uint8Array,
    limits: Partial<DecodeLimits>,
    size: number,
  ): Promise<DecodedImage> {
    const chosen = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    chosen.busy++;
    try {
      return await chosen.client.call<DecodedImage>("decode", [bytes, limits, size]);
    } finally {
      chosen.busy--;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

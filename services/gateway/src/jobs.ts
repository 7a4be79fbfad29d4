/**
 * Submitting jobs: bounded admission into the queue (RESOURCE_EXHAUSTED when full), the
 * admitted image stored by content hash, idempotency keys mapped to stable job ids.
 */
import { createHash, randomUUID } from "node:crypto";
import { EngineError } from "@pixellm/errors";
import type { AdmittedRequest } from "./admission";
import type { JobData } from "./job-types";
import type { JobTelemetry } from "./job-telemetry";
import { type JobQueue, type JobView, failedRetryably } from "./queue/job-queue";
import type { RedisKeys } from "./redis-keys";
import type { BlobStore } from "./store/blob-store";
import { storeAdmittedImage } from "./admitted-image";

export interface SubmitOptions {
  readonly deadline: number;
  readonly idempotencyKey?: string;
}

export class JobSubmitter {
  /**
   * Count-then-add runs one at a time in this process, so concurrent submissions cannot all see
   * room for themselves; across gateways the bound may be exceeded by at most one job each.
   */
  private admission: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly queue: JobQueue,
    private readonly blobs: BlobStore,
    private readonly keys: RedisKeys,
    private readonly limits: { readonly maxQueued: number; readonly resultTtlSeconds: number },
    private readonly telemetry: JobTelemetry,
  ) {}

  /** Submits in the job's PRODUCER span: the job carries its trace context through the queue. */
  submit(request: AdmittedRequest, options: SubmitOptions): Promise<{ view: JobView; created: boolean }> {
    const id = options.idempotencyKey ? idempotentJobId(options.idempotencyKey) : randomUUID();
    return this.telemetry.publish(id, (trace) => this.enqueue(id, request, options, trace));
  }

  private async enqueue(
    id: string,
    request: AdmittedRequest,
    options: SubmitOptions,
    trace: Readonly<Record<string, string>>,
  ): Promise<{ view: JobView; created: boolean }> {
    const existing = options.idempotencyKey ? await this.queue.get(id) : undefined;
    if (existing && !failedRetryably(existing)) return { view: existing, created: false };
    await this.checkRoom();
    // The image outlives every job that can still run: its deadline, bounded by the result TTL.
    const ttl = Math.max(60, Math.ceil((options.deadline - Date.now()) / 1000) + 60);
    await storeAdmittedImage(
      this.blobs,
      this.keys,
      request.imageHash,
      request.resizedImage,
      Math.min(ttl, this.limits.resultTtlSeconds + 60),
    );
    if (existing) {
      // A resubmission of a job whose failure said "retry": the same job runs again (the key
      // still names one job). Another gateway may have retried it first: that run is the answer.
      const retried = await this.queue.retry(id, options.deadline);
      return { view: retried ?? (await this.queue.get(id)) ?? existing, created: false };
    }
    const data: JobData = {
      requestId: randomUUID(),
      imageHash: request.imageHash,
      original: request.original,
      resized: [request.resizedImage.height, request.resizedImage.width],
      promptIds: request.promptIds,
      ...(request.answerIds ? { answerIds: request.answerIds } : {}),
      maxNewTokens: request.maxNewTokens,
      ...(request.sampling ? { sampling: request.sampling } : {}),
      deadline: options.deadline,
      createdAt: Date.now(),
      ...(Object.keys(trace).length > 0 ? { trace } : {}),
    };
    const added = this.admission.then(async () => {
      await this.checkRoom();
      return this.queue.add(data, { id, priority: request.priority });
    });
    this.admission = added.catch(() => undefined);
    return added;
  }

  /** RESOURCE_EXHAUSTED (counted as shed) when the queue holds its limit. */
  private async checkRoom(): Promise<void> {
    const { queued } = await this.queue.counts();
    if (queued < this.limits.maxQueued) return;
    this.telemetry.countShed();
    throw new EngineError(
      "resource_exhausted",
      `the queue is full (${queued} jobs waiting, limit ${this.limits.maxQueued}); retry later`,
    );
  }
}

/** A key's job id: the same key always names the same job (within the result TTL). */
function idempotentJobId(key: string): string {
  return `idem-${createHash("sha256").update(key).digest("hex").slice(0, 32)}`;
}

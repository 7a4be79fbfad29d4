/**
 * Submitting jobs: bounded admission into the queue (RESOURCE_EXHAUSTED when full, for the whole
 * queue or the tenant's share of it), the admitted image stored by content hash, idempotency keys
 * mapped to job ids of the tenant, and a key reused for a different request refused.
 * Requests are shed before admission's image decode too (`shedIfFull`), on a count up to
 * `queueCountCacheMs` old, so a full queue costs a refused request no decode and no Redis write.
 */
import { randomUUID } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { serviceError } from "@pixellm/api";
import { EngineError } from "@pixellm/errors";
import type { AdmittedRequest } from "./admission";
import { idempotentJobId, newJobId } from "./job-ids";
import type { JobData } from "./job-types";
import type { JobTelemetry } from "./job-telemetry";
import { type JobQueue, type JobView, failedRetryably } from "./queue/job-queue";
import type { RedisKeys } from "./redis-keys";
import type { BlobStore } from "./store/blob-store";
import { storeAdmittedImage } from "./admitted-image";
import { requestFingerprint } from "./request-fingerprint";
import { type Tenant, isLimited } from "./tenants/tenant";
import type { TenantJobs } from "./tenants/tenant-jobs";

export interface SubmitOptions {
  readonly deadline: number;
  readonly idempotencyKey?: string;
  readonly tenant: Tenant;
}

export class JobSubmitter {
  /**
   * Count-then-add runs one at a time in this process, so concurrent submissions cannot all see
   * room for themselves; across gateways the bound may be exceeded by at most one job each.
   */
  private admission: Promise<unknown> = Promise.resolve();
  /** The last queue count taken and when; concurrent callers share one count in flight. */
  private recentCount?: { readonly queued: Promise<number>; readonly at: number };

  constructor(
    private readonly queue: JobQueue,
    private readonly blobs: BlobStore,
    private readonly keys: RedisKeys,
    private readonly limits: {
      readonly maxQueued: number;
      readonly resultTtlSeconds: number;
      readonly queueCountCacheMs: number;
    },
    private readonly telemetry: JobTelemetry,
    private readonly tenantJobs: TenantJobs,
  ) {}

  /** Submits in the job's PRODUCER span: the job carries its trace context through the queue. */
  submit(request: AdmittedRequest, options: SubmitOptions): Promise<{ view: JobView; created: boolean }> {
    const id = options.idempotencyKey
      ? idempotentJobId(options.tenant.name, options.idempotencyKey)
      : newJobId();
    return this.telemetry.publish(id, (trace) => this.enqueue(id, request, options, trace));
  }

  private async enqueue(
    id: string,
    request: AdmittedRequest,
    options: SubmitOptions,
    trace: Readonly<Record<string, string>>,
  ): Promise<{ view: JobView; created: boolean }> {
    const fingerprint = requestFingerprint(request);
    const found = options.idempotencyKey ? await this.queue.get(id) : undefined;
    const existing = found && sameRequest(found, fingerprint);
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
      id,
    );
    if (existing) {
      // A resubmission of a job whose failure said "retry": the same job runs again (the key
      // still names one job). Another gateway may have retried it first: that run is the answer.
      const retried = await this.queue.retry(id, options.deadline);
      return { view: retried ?? (await this.queue.get(id)) ?? existing, created: false };
    }
    const data: JobData = {
      requestId: randomUUID(),
      tenant: options.tenant.name,
      fingerprint,
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
      const { view, created } = await this.addForTenant(data, id, request.priority, options.tenant);
      return { view: created ? view : sameRequest(view, fingerprint), created };
    });
    this.admission = added.catch(() => undefined);
    return added;
  }

  /** Adds the job within the tenant's limits (unlimited tenants skip the count). */
  private async addForTenant(
    data: JobData,
    id: string,
    priority: number,
    tenant: Tenant,
  ): Promise<{ view: JobView; created: boolean }> {
    if (!isLimited(tenant)) return this.queue.add(data, { id, priority });
    const maxQueued = Math.max(1, Math.floor(tenant.queueShare * this.limits.maxQueued));
    const reservation = await this.tenantJobs.reserve(tenant.name, id, {
      maxConcurrentJobs: tenant.maxConcurrentJobs,
      maxQueued,
    });
    if (!reservation.granted) {
      this.telemetry.countShed();
      throw new EngineError(
        "resource_exhausted",
        reservation.limit === "concurrent"
          ? `tenant ${tenant.name} has ${reservation.count} jobs queued or running, its limit (maxConcurrentJobs ${tenant.maxConcurrentJobs}); retry when one has finished`
          : `tenant ${tenant.name} has ${reservation.count} jobs queued, its share of the queue (queueShare ${tenant.queueShare} of ${this.limits.maxQueued}); retry later`,
      );
    }
    try {
      const added = await this.queue.add(data, { id, priority });
      // An existing job of this id (same tenant and key) is in the queue too: it keeps its place.
      await this.tenantJobs.confirm(tenant.name, id);
      return added;
    } catch (error) {
      await this.tenantJobs.release(tenant.name, id);
      throw error;
    }
  }

  /**
   * RESOURCE_EXHAUSTED (counted as shed) when a recent count says the queue holds its limit:
   * called before any expensive work on a request. The exact check is `submit`'s.
   */
  async shedIfFull(): Promise<void> {
    const now = Date.now();
    let count = this.recentCount;
    if (!count || now - count.at > this.limits.queueCountCacheMs) {
      count = { queued: this.queue.counts().then((c) => c.queued), at: now };
      this.recentCount = count;
      // A failed count is not reused: the next request counts again.
      const taken = count;
      taken.queued.catch(() => {
        if (this.recentCount === taken) this.recentCount = undefined;
      });
    }
    this.refuseIfFull(await count.queued);
  }

  /** RESOURCE_EXHAUSTED (counted as shed) when the queue holds its limit. */
  private async checkRoom(): Promise<void> {
    const { queued } = await this.queue.counts();
    this.refuseIfFull(queued);
  }

  private refuseIfFull(queued: number): void {
    if (queued < this.limits.maxQueued) return;
    this.telemetry.countShed();
    throw new EngineError(
      "resource_exhausted",
      `the queue is full (${queued} jobs waiting, limit ${this.limits.maxQueued}); retry later`,
    );
  }
}

/** The job an idempotency key names, if it was submitted for this same request. */
function sameRequest(existing: JobView, fingerprint: string): JobView {
  if (existing.fingerprint === fingerprint) return existing;
  throw serviceError(
    status.ALREADY_EXISTS,
    `idempotency key already used for a different request (job ${existing.id}: another image, question or options); use a new key for a new request`,
  );
}

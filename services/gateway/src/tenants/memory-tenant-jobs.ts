/**
 * Tenant job counts of the embedded mode: the tenant's job ids, each checked against the
 * in-memory queue when counting (one process: nothing outlives a crash).
 */
import type { JobQueue } from "../queue/job-queue";
import { TERMINAL_STATES } from "../queue/job-queue";
import { RESERVATION_GRACE_MS, type Reservation, type TenantJobs, type TenantQuota } from "./tenant-jobs";

/** 0 once the job is in the queue, else when it was reserved. */
type ReservedAt = number;

export class MemoryTenantJobs implements TenantJobs {
  private readonly jobs = new Map<string, Map<string, ReservedAt>>();
  /** Reservations run one at a time, so two cannot both see the last free place. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly queue: JobQueue) {}

  reserve(tenant: string, jobId: string, quota: TenantQuota): Promise<Reservation> {
    const reserved = this.turn.then(() => this.reserveNow(tenant, jobId, quota));
    this.turn = reserved.catch(() => undefined);
    return reserved;
  }

  confirm(tenant: string, jobId: string): Promise<void> {
    this.jobs.get(tenant)?.set(jobId, 0);
    return Promise.resolve();
  }

  release(tenant: string, jobId: string): Promise<void> {
    this.jobs.get(tenant)?.delete(jobId);
    return Promise.resolve();
  }

  private async reserveNow(tenant: string, jobId: string, quota: TenantQuota): Promise<Reservation> {
    const ids = this.jobs.get(tenant) ?? new Map<string, ReservedAt>();
    this.jobs.set(tenant, ids);
    const now = Date.now();
    let live = 0;
    let queued = 0;
    for (const [id, reservedAt] of ids) {
      const view = await this.queue.get(id);
      if (
        view ? TERMINAL_STATES.has(view.state) : reservedAt === 0 || reservedAt < now - RESERVATION_GRACE_MS
      ) {
        ids.delete(id);
        continue;
      }
      live++;
      if (view?.state !== "running") queued++;
    }
    if (live >= quota.maxConcurrentJobs) return { granted: false, limit: "concurrent", count: live };
    if (queued >= quota.maxQueued) return { granted: false, limit: "queued", count: queued };
    ids.set(jobId, now);
    return { granted: true };
  }
}

/**
 * Each tenant's live jobs, counted across every gateway: a reservation is taken before a job is
 * added, atomically with the check of the tenant's limits, and nothing has to be released when a
 * job ends — a job counts only while the queue still holds it unfinished. A gateway that dies
 * therefore leaks nothing: its finished or vanished jobs stop counting by themselves, and a
 * reservation it took but never turned into a job stops counting after RESERVATION_GRACE_MS.
 */

/** How long a reservation counts before its job must be in the queue. */
export const RESERVATION_GRACE_MS = 30_000;

export interface TenantQuota {
  /** Queued plus running jobs at most. */
  readonly maxConcurrentJobs: number;
  /** Queued jobs at most. */
  readonly maxQueued: number;
}

export type Reservation =
  | { readonly granted: true }
  | { readonly granted: false; readonly limit: "concurrent" | "queued"; readonly count: number };

export interface TenantJobs {
  /** Reserves a place for job `jobId` of `tenant` if its live and queued jobs are under the quota. */
  reserve(tenant: string, jobId: string, quota: TenantQuota): Promise<Reservation>;
  /** The job is in the queue: from now on it counts exactly while the queue holds it unfinished. */
  confirm(tenant: string, jobId: string): Promise<void>;
  /** The job was not added after all. */
  release(tenant: string, jobId: string): Promise<void>;
}

/** A tenant: who a set of API keys belongs to, what it may do and how much of the queue it may hold. */

/** `evaluate`: may send teacher-forced `answer_ids` (evaluation), which bypass generation. */
export type Permission = "evaluate";

export const PERMISSIONS: readonly Permission[] = ["evaluate"];

export interface Tenant {
  /** Recorded with each job; letters, digits, `-` and `_`. */
  readonly name: string;
  readonly permissions: ReadonlySet<Permission>;
  /** Queued plus running jobs at most (Infinity: bounded only by the queue). */
  readonly maxConcurrentJobs: number;
  /** Fraction (0, 1] of GATEWAY_MAX_QUEUED this tenant's queued jobs may take. */
  readonly queueShare: number;
  /** Highest request priority (0 to 9) the tenant may ask for. */
  readonly maxPriority: number;
}

/**
 * The tenant of `PIXELLM_API_KEYS` (and of an open API): the operator's own keys, trusted with
 * every permission and limited only by the queue.
 */
export function operatorTenant(name: string): Tenant {
  return {
    name,
    permissions: new Set(PERMISSIONS),
    maxConcurrentJobs: Infinity,
    queueShare: 1,
    maxPriority: 9,
  };
}

/** Whether the tenant's job count needs tracking at all (unlimited tenants cost no Redis work). */
export function isLimited(tenant: Tenant): boolean {
  return Number.isFinite(tenant.maxConcurrentJobs) || tenant.queueShare < 1;
}

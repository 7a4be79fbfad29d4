/**
 * Tenant job counts shared by every gateway: a sorted set of the tenant's job ids per tenant,
 * checked and extended in one Lua script, so two gateways cannot both take the last place. A
 * member counts while BullMQ's hash of the job exists without `finishedOn` (queued when no worker
 * holds its lock), or, before the job is confirmed in the queue, for RESERVATION_GRACE_MS; anything
 * else is removed as it is met. (The script reads BullMQ's keys, which it does not declare: like
 * BullMQ's own scripts, it needs one Redis node, not a cluster.)
 */
import type { Redis } from "ioredis";
import type { RedisKeys } from "../redis-keys";
import { RESERVATION_GRACE_MS, type Reservation, type TenantJobs, type TenantQuota } from "./tenant-jobs";

// KEYS[1] the tenant's set; ARGV: BullMQ job-hash prefix, now (ms), grace (ms), max live, max queued, job id.
// Returns {0} when reserved, {1, live} over the concurrent limit, {2, queued} over the queue share.
const RESERVE = `
local members = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local now = tonumber(ARGV[2])
local live, queued = 0, 0
for i = 1, #members, 2 do
  local id, reservedAt = members[i], tonumber(members[i + 1])
  local job = ARGV[1] .. id
  local exists = redis.call('EXISTS', job) == 1
  if (exists and redis.call('HEXISTS', job, 'finishedOn') == 1)
    or (not exists and (reservedAt == 0 or reservedAt < now - tonumber(ARGV[3]))) then
    redis.call('ZREM', KEYS[1], id)
  else
    live = live + 1
    if not exists or redis.call('EXISTS', job .. ':lock') == 0 then queued = queued + 1 end
  end
end
if live >= tonumber(ARGV[4]) then return {1, live} end
if queued >= tonumber(ARGV[5]) then return {2, queued} end
redis.call('ZADD', KEYS[1], now, ARGV[6])
return {0}
`;

export class RedisTenantJobs implements TenantJobs {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async reserve(tenant: string, jobId: string, quota: TenantQuota): Promise<Reservation> {
    const [outcome, count] = (await this.redis.eval(
      RESERVE,
      1,
      this.keys.tenantJobs(tenant),
      this.keys.bullJob(""),
      Date.now(),
      RESERVATION_GRACE_MS,
      limit(quota.maxConcurrentJobs),
      limit(quota.maxQueued),
      jobId,
    )) as [number, number?];
    if (outcome === 0) return { granted: true };
    return { granted: false, limit: outcome === 1 ? "concurrent" : "queued", count: count ?? 0 };
  }

  async confirm(tenant: string, jobId: string): Promise<void> {
    await this.redis.zadd(this.keys.tenantJobs(tenant), "XX", 0, jobId);
  }

  async release(tenant: string, jobId: string): Promise<void> {
    await this.redis.zrem(this.keys.tenantJobs(tenant), jobId);
  }
}

/** Lua reads numbers from strings: an unlimited quota is sent as a count no tenant reaches. */
function limit(max: number): number {
  return Number.isFinite(max) ? max : Number.MAX_SAFE_INTEGER;
}

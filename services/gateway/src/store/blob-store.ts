/**
 * Binary values with a time to live: admitted images and stage checkpoints. Redis in a
 * deployment (every gateway sees them), a Map in the embedded mode. Keys are content hashes, so
 * a key's value never changes: storing it again only ever extends its time to live (a later job
 * with an earlier deadline must not cut short an image an earlier job still needs).
 * Checkpoints are a cache, stored within a byte budget (`setWithinBudget`): a Redis that must
 * never evict (BullMQ) cannot let a cache grow until the queue's own writes fail.
 * Admitted images are held by their jobs (`setHeld`, `release`): an image goes as soon as the
 * last job that needs it has its result, not only when its time to live ends, so Redis holds the
 * images of the jobs in flight rather than of every job in the last few minutes.
 */
import type { Redis } from "ioredis";

export interface BlobStore {
  get(key: string): Promise<Buffer | undefined>;
  /**
   * Stores the value, or extends the time to live of the one stored (never shortens it), with
   * `holder` (a job id) added to the value's holders, which live as long as the value. A holder
   * that never releases (its job failed or was cancelled) only keeps the value until its time to
   * live ends.
   */
  setHeld(key: string, value: Uint8Array, ttlSeconds: number, holder: string): Promise<void>;
  /**
   * Stores a value that may be dropped (or extends it, as `setHeld`): false (and nothing stored)
   * when the values stored this way and still alive would exceed the store's budget of bytes.
   */
  setWithinBudget(key: string, value: Uint8Array, ttlSeconds: number): Promise<boolean>;
  /**
   * Takes `holder` off the value's holders; the value goes with the last one (true: it went). A
   * value `holder` does not hold is left alone.
   */
  release(key: string, holder: string): Promise<boolean>;
}

/** Where a held value's holders are kept: beside it, under its key. */
export function holdersKey(key: string): string {
  return `${key}:holders`;
}

/**
 * KEYS: the value's key, its holders (a set). ARGV: value, ttl ms, holder. SET NX, else extend:
 * PEXPIRE GT leaves a longer time to live alone. The holders take the value's time to live
 * (PEXPIRE GT alone would never set one on a new set: no TTL counts as infinite).
 */
const SET_HELD = `
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then
  redis.call('PEXPIRE', KEYS[1], ARGV[2], 'GT')
end
redis.call('SADD', KEYS[2], ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ttl)
else redis.call('PEXPIRE', KEYS[2], ttl, 'GT') end`;

/** KEYS: the value's key, its holders. ARGV: the holder. Only a holder's release deletes. */
const RELEASE = `
if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return 0 end
if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
return redis.call('DEL', KEYS[1], KEYS[2]) > 0 and 1 or 0`;

/**
 * KEYS: the value's key, the ledger (sorted set: key → expiry ms), the sizes (hash: key → bytes,
 * and '' → the total). ARGV: value, ttl ms, now ms, budget bytes. Expired entries leave the
 * ledger first; a value already stored is only extended.
 */
const SET_WITHIN_BUDGET = `
local now = tonumber(ARGV[3])
local used = tonumber(redis.call('HGET', KEYS[3], '') or '0')
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  used = used - tonumber(redis.call('HGET', KEYS[3], key) or '0')
  redis.call('HDEL', KEYS[3], key)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local expires = now + tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2], 'GT')
  redis.call('ZADD', KEYS[2], 'GT', expires, KEYS[1])
  redis.call('HSET', KEYS[3], '', math.max(used, 0))
  return 1
end
local size = string.len(ARGV[1])
if used + size > tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[3], '', math.max(used, 0))
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], expires, KEYS[1])
redis.call('HSET', KEYS[3], KEYS[1], size, '', used + size)
return 1`;

export interface BudgetLedger {
  /** Sorted set of budgeted keys by expiry, and the hash of their sizes (with the total). */
  readonly ledger: string;
  readonly sizes: string;
  readonly budgetBytes: number;
}

export class RedisBlobStore implements BlobStore {
  constructor(
    private readonly redis: Redis,
    private readonly budget: BudgetLedger,
  ) {}

  async get(key: string): Promise<Buffer | undefined> {
    return (await this.redis.getBuffer(key)) ?? undefined;
  }

  async setHeld(key: string, value: Uint8Array, ttlSeconds: number, holder: string): Promise<void> {
    await this.redis.eval(SET_HELD, 2, key, holdersKey(key), bufferOf(value), ttlSeconds * 1000, holder);
  }

  async release(key: string, holder: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 2, key, holdersKey(key), holder)) === 1;
  }

  async setWithinBudget(key: string, value: Uint8Array, ttlSeconds: number): Promise<boolean> {
    const stored = await this.redis.eval(
      SET_WITHIN_BUDGET,
      3,
      key,
      this.budget.ledger,
      this.budget.sizes,
      bufferOf(value),
      ttlSeconds * 1000,
      Date.now(),
      this.budget.budgetBytes,
    );
    return stored === 1;
  }
}

export class MemoryBlobStore implements BlobStore {
  private readonly values = new Map<
    string,
    { value: Buffer; expires: number; budgeted: boolean; holders?: Set<string> }
  >();

  constructor(private readonly budgetBytes: number) {}

  get(key: string): Promise<Buffer | undefined> {
    const entry = this.values.get(key);
    if (entry && entry.expires <= Date.now()) this.values.delete(key);
    return Promise.resolve(entry && entry.expires > Date.now() ? entry.value : undefined);
  }

  setHeld(key: string, value: Uint8Array, ttlSeconds: number, holder: string): Promise<void> {
    this.sweep();
    this.store(key, value, ttlSeconds, false);
    const entry = this.values.get(key)!;
    (entry.holders ??= new Set()).add(holder);
    return Promise.resolve();
  }

  release(key: string, holder: string): Promise<boolean> {
    // Only this key matters (an expired value is gone already); the sweep of the others is the
    // writes' work, not every finished job's.
    const entry = this.values.get(key);
    const holders = entry && entry.expires > Date.now() ? entry.holders : undefined;
    if (!holders?.delete(holder) || holders.size > 0) return Promise.resolve(false);
    return Promise.resolve(this.values.delete(key));
  }

  setWithinBudget(key: string, value: Uint8Array, ttlSeconds: number): Promise<boolean> {
    this.sweep();
    if (!this.values.has(key) && this.budgetedBytes() + value.byteLength > this.budgetBytes)
      return Promise.resolve(false);
    this.store(key, value, ttlSeconds, true);
    return Promise.resolve(true);
  }

  /** Call after `sweep` (an expired entry is replaced, not extended). */
  private store(key: string, value: Uint8Array, ttlSeconds: number, budgeted: boolean): void {
    const expires = Date.now() + ttlSeconds * 1000;
    const existing = this.values.get(key);
    if (existing) existing.expires = Math.max(existing.expires, expires);
    else this.values.set(key, { value: Buffer.from(value), expires, budgeted });
  }

  private budgetedBytes(): number {
    let total = 0;
    for (const entry of this.values.values()) if (entry.budgeted) total += entry.value.byteLength;
    return total;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.values) if (entry.expires <= now) this.values.delete(key);
  }
}

function bufferOf(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

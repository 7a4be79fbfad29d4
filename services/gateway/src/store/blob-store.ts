/**
 * Binary values with a time to live: admitted images and stage checkpoints. Redis in a
 * deployment (every gateway sees them), a Map in the embedded mode.
 */
import type { Redis } from "ioredis";

export interface BlobStore {
  get(key: string): Promise<Buffer | undefined>;
  set(key: string, value: Uint8Array, ttlSeconds: number): Promise<void>;
}

export class RedisBlobStore implements BlobStore {
  constructor(private readonly redis: Redis) {}

  async get(key: string): Promise<Buffer | undefined> {
    return (await this.redis.getBuffer(key)) ?? undefined;
  }

  async set(key: string, value: Uint8Array, ttlSeconds: number): Promise<void> {
    await this.redis.set(
      key,
      Buffer.from(value.buffer, value.byteOffset, value.byteLength),
      "EX",
      ttlSeconds,
    );
  }
}

export class MemoryBlobStore implements BlobStore {
  private readonly values = new Map<string, { value: Buffer; expires: number }>();

  get(key: string): Promise<Buffer | undefined> {
    const entry = this.values.get(key);
    if (entry && entry.expires <= Date.now()) this.values.delete(key);
    return Promise.resolve(entry && entry.expires > Date.now() ? entry.value : undefined);
  }

  set(key: string, value: Uint8Array, ttlSeconds: number): Promise<void> {
    this.sweep();
    this.values.set(key, { value: Buffer.from(value), expires: Date.now() + ttlSeconds * 1000 });
    return Promise.resolve();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.values) if (entry.expires <= now) this.values.delete(key);
  }
}

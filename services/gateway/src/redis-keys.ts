/**
 * Every Redis key the gateway writes, in one place (BullMQ owns `${prefix}:jobs:*`). All keys
 * share the deployment's prefix, so deployments (and tests) never see each other's data.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** BullMQ's own prefix and queue name: keys are `${prefix}:jobs:…`. */
  get bullPrefix(): string {
    return this.prefix;
  }

  readonly queueName = "jobs";

  /** The admitted image (resized RGB8), by content hash. */
  image(hash: string): string {
    return `${this.prefix}:image:${hash}`;
  }

  /** A stage's output for given inputs, by content hash (retries resume; follow-ups reuse). */
  checkpoint(stage: "vision" | "llm", hash: string): string {
    return `${this.prefix}:ckpt:${stage}:${hash}`;
  }

  /** The checkpoints stored within the budget, by expiry, and their sizes (with the total under ''). */
  get checkpointLedger(): string {
    return `${this.prefix}:ckpt-ledger`;
  }

  get checkpointSizes(): string {
    return `${this.prefix}:ckpt-sizes`;
  }

  /** A finished job's result, stored once (BullMQ's return value and events carry none). */
  result(jobId: string): string {
    return `${this.prefix}:result:${jobId}`;
  }

  /** Marks a job cancelled (read at stage boundaries; survives a missed pub/sub message). */
  cancelled(jobId: string): string {
    return `${this.prefix}:cancelled:${jobId}`;
  }

  /** How many times a job's calls crashed a stage's process (poison jobs: stage-crash.ts). */
  stageCrashes(jobId: string, stage: string): string {
    return `${this.prefix}:crashes:${jobId}:${stage}`;
  }

  /** A tenant's job ids (sorted set: score 0 once queued, else when reserved), counted against its limits. */
  tenantJobs(tenant: string): string {
    return `${this.prefix}:tenant:${tenant}:jobs`;
  }

  /**
   * BullMQ's hash of a job, read (never written) to count a tenant's live jobs: BullMQ sets its
   * `finishedOn` only once the job has ended, and holds `<hash>:lock` while a worker runs it.
   */
  bullJob(id: string): string {
    return `${this.prefix}:${this.queueName}:${id}`;
  }

  /** Channel announcing cancellations to every gateway's workers. */
  get cancelChannel(): string {
    return `${this.prefix}:cancel`;
  }
}

/**
 * Job ids in the only forms the gateway issues: a random UUID, or `idem-` and 32 hex digits
 * derived from (tenant, idempotency key). Ids from callers are checked against these forms before
 * any read, so BullMQ's own key names (`meta`, `id`, …) or path tricks never reach Redis.
 */
import { createHash, randomUUID } from "node:crypto";
import { serviceError } from "@pixellm/api";
import { status } from "@grpc/grpc-js";

const JOB_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|idem-[0-9a-f]{32})$/;
/** Ids longer than this are not echoed in errors. */
const ECHO_LIMIT = 64;
/** Longest idempotency key: room for any UUID, hash or order number a client uses. */
export const MAX_IDEMPOTENCY_KEY_CHARS = 256;

export function newJobId(): string {
  return randomUUID();
}

/**
 * A tenant's key always names the same job (within the result TTL); the same key of two tenants
 * names two jobs. The NUL separator keeps ("ab", "c") and ("a", "bc") apart.
 */
export function idempotentJobId(tenant: string, key: string): string {
  return `idem-${createHash("sha256").update(`${tenant}\0${key}`).digest("hex").slice(0, 32)}`;
}

/** INVALID_ARGUMENT for an idempotency key longer than MAX_IDEMPOTENCY_KEY_CHARS. */
export function checkIdempotencyKey(key: string): void {
  if (key.length <= MAX_IDEMPOTENCY_KEY_CHARS) return;
  throw serviceError(
    status.INVALID_ARGUMENT,
    `idempotency_key has ${key.length} characters, more than ${MAX_IDEMPOTENCY_KEY_CHARS}; use a shorter key (e.g. a UUID)`,
  );
}

/** INVALID_ARGUMENT unless `id` is one of the generated forms. */
export function checkJobId(id: string): void {
  if (JOB_ID.test(id)) return;
  const shown = id.length <= ECHO_LIMIT ? JSON.stringify(id) : `${id.length} characters`;
  throw serviceError(
    status.INVALID_ARGUMENT,
    `job_id ${shown} is not a job id this API issued (a UUID or idem- and 32 hex digits, as SubmitJob returns)`,
  );
}

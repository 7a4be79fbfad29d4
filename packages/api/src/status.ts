/**
 * The one mapping between failures and gRPC status codes, used by every server and client:
 * engine/pipeline error codes → status codes, retryability, the pause a load refusal asks for,
 * and the error objects grpc-js sends.
 */
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { EngineError, type EngineErrorCode } from "@pixellm/errors";
import { TensorCodecError } from "./tensor-codec";

const TO_STATUS: Readonly<Record<EngineErrorCode, status>> = {
  invalid_argument: status.INVALID_ARGUMENT,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  cancelled: status.CANCELLED,
  unavailable: status.UNAVAILABLE,
  model_load: status.FAILED_PRECONDITION,
  internal: status.INTERNAL,
};

/** Status codes after which the same request may succeed elsewhere or later. */
const RETRYABLE = new Set<status>([status.UNAVAILABLE, status.RESOURCE_EXHAUSTED, status.ABORTED]);

export function isRetryable(code: status): boolean {
  return RETRYABLE.has(code);
}

export function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error && typeof (error as Partial<ServiceError>).code === "number" && "metadata" in error
  );
}

/**
 * Errors of the job store's client (ioredis, under BullMQ too), recognised by name and code so
 * that no package here depends on it: a lost or refused connection, retries used up, and error
 * replies (WRONGTYPE, OOM, READONLY, LOADING, NOAUTH…). The raw text names keys and internals.
 */
const STORE_ERROR_NAMES = new Set(["ReplyError", "ParserError", "MaxRetriesPerRequestError"]);
const SOCKET_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);
const STORE_OUTAGE_MESSAGE = "the job store is unavailable; retry";

function isStoreOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    STORE_ERROR_NAMES.has(error.name) ||
    (typeof code === "string" && SOCKET_ERROR_CODES.has(code)) ||
    error.message === "Connection is closed." ||
    error.message.startsWith("Stream isn't writeable")
  );
}

/** The status code and message a failure is reported with. */
export function statusOf(error: unknown): { code: status; message: string } {
  if (isStoreOutage(error)) return { code: status.UNAVAILABLE, message: STORE_OUTAGE_MESSAGE };
  if (error instanceof EngineError) return { code: TO_STATUS[error.code], message: error.message };
  if (error instanceof TensorCodecError) return { code: status.INVALID_ARGUMENT, message: error.message };
  if (isServiceError(error)) return { code: error.code, message: error.details || error.message };
  return { code: status.INTERNAL, message: error instanceof Error ? error.message : String(error) };
}

/**
 * The trailer in which a server tells its client when to send a refused request again (gRPC's
 * own name for it, gRFC A6 "retry pushback"); only load refusals carry it.
 */
const RETRY_PUSHBACK_KEY = "grpc-retry-pushback-ms";

/** An error grpc-js sends as the call's status. */
export function serviceError(code: status, message: string): ServiceError {
  return Object.assign(new Error(message), { code, details: message, metadata: new Metadata() });
}

export function toServiceError(error: unknown): ServiceError {
  const { code, message } = statusOf(error);
  const sent = serviceError(code, message);
  const retryAfterMs = retryAfterOf(error);
  if (retryAfterMs !== undefined) sent.metadata.set(RETRY_PUSHBACK_KEY, String(retryAfterMs));
  return sent;
}

/**
 * When a refusal that was only about load (a stage's full queue) may be sent again, in ms, for
 * an EngineError in this process and for the status of a call alike; undefined for every other
 * failure, which waiting would not cure.
 */
export function retryAfterOf(error: unknown): number | undefined {
  if (error instanceof EngineError) return error.retryAfterMs;
  if (!isServiceError(error) || !(error.metadata instanceof Metadata)) return undefined;
  const [value] = error.metadata.get(RETRY_PUSHBACK_KEY);
  const ms = typeof value === "string" ? Number(value) : Number.NaN;
  return Number.isInteger(ms) && ms >= 0 ? ms : undefined;
}

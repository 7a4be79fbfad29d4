/**
 * The one mapping between failures and gRPC status codes, used by every server and client:
 * engine/pipeline error codes ↔ status codes, retryability, and the error objects grpc-js sends.
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

const FROM_STATUS = new Map<status, EngineErrorCode>(
  Object.entries(TO_STATUS).map(([code, s]) => [s, code as EngineErrorCode]),
);

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

/** The status code and message a failure is reported with. */
export function statusOf(error: unknown): { code: status; message: string } {
  if (error instanceof EngineError) return { code: TO_STATUS[error.code], message: error.message };
  if (error instanceof TensorCodecError) return { code: status.INVALID_ARGUMENT, message: error.message };
  if (isServiceError(error)) return { code: error.code, message: error.details || error.message };
  return { code: status.INTERNAL, message: error instanceof Error ? error.message : String(error) };
}

/** An error grpc-js sends as the call's status. */
export function serviceError(code: status, message: string): ServiceError {
  return Object.assign(new Error(message), { code, details: message, metadata: new Metadata() });
}

export function toServiceError(error: unknown): ServiceError {
  const { code, message } = statusOf(error);
  return serviceError(code, message);
}

/** A status received from another service as an EngineError of the matching code. */
export function fromServiceError(error: unknown): EngineError {
  const { code, message } = statusOf(error);
  return error instanceof EngineError ? error : new EngineError(FROM_STATUS.get(code) ?? "internal", message);
}

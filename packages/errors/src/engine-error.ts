/**
 * Engine failures carry a code that maps one-to-one onto a gRPC status in the services
 * (@pixellm/api's status.ts); messages name the problem and the limit.
 */
export type EngineErrorCode =
  | "invalid_argument"
  | "resource_exhausted"
  | "deadline_exceeded"
  | "cancelled"
  | "unavailable"
  | "model_load"
  | "internal";

export class EngineError extends Error {
  override name = "EngineError";
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
  }
}

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
  /**
   * Set on a refusal that is only about load (a full queue): the request itself is fine and may
   * be sent again after this many milliseconds, here or to another replica.
   */
  readonly retryAfterMs: number | undefined;
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options: { readonly retryAfterMs?: number } = {},
  ) {
    super(message);
    this.retryAfterMs = options.retryAfterMs;
  }
}

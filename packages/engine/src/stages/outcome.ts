/**
 * Stage functions take a batch and return one outcome per item, in order: a result or the
 * item's own error (Triton's rule: a request's failure never fails its batch neighbours).
 */
import { EngineError } from "@pixellm/errors";

export type Outcome<T> = T | EngineError;

export function isFailure<T>(outcome: Outcome<T>): outcome is EngineError {
  return outcome instanceof EngineError;
}

/**
 * Validates items one by one, runs `execute` on the valid ones as one batch, and puts each
 * result (or the batch's failure) back at its item's index.
 */
export async function runBatch<I, V, R>(
  items: readonly I[],
  validate: (item: I) => V,
  execute: (valid: readonly V[]) => Promise<R[]>,
): Promise<Outcome<R>[]> {
  const outcomes: Outcome<R>[] = new Array<Outcome<R>>(items.length);
  const valid: V[] = [];
  const slots: number[] = [];
  items.forEach((item, i) => {
    try {
      valid.push(validate(item));
      slots.push(i);
    } catch (error) {
      outcomes[i] = asEngineError(error);
    }
  });
  if (valid.length > 0) {
    try {
      const results = await execute(valid);
      slots.forEach((slot, k) => (outcomes[slot] = results[k]!));
    } catch (error) {
      const failure = asEngineError(error);
      for (const slot of slots) outcomes[slot] = failure;
    }
  }
  return outcomes;
}

/** Engine errors keep their code; anything else is an internal failure (`what: message` when named). */
export function asEngineError(error: unknown, what?: string): EngineError {
  if (error instanceof EngineError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EngineError("internal", what ? `${what}: ${message}` : message);
}

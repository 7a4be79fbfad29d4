/**
 * Calls between a worker thread and its owner: `{ id, method, args }` out, `{ id, value }` or
 * `{ id, error }` back, in the order each call finishes. Errors keep their engine code
 * (EngineError is rebuilt on the owner's side), also inside the outcome arrays stage batches
 * return. Arrays the worker sends back are transferred, not copied: the worker made them for
 * the reply. What the owner sends is copied, as its callers keep using their arrays.
 */
import type { MessagePort, Worker } from "node:worker_threads";
import { EngineError, type EngineErrorCode } from "@pixellm/errors";

interface Request {
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
}

interface SentError {
  readonly message: string;
  readonly code?: EngineErrorCode;
}

type Reply =
  { readonly id: number; readonly value: unknown } | { readonly id: number; readonly error: SentError };

/** An error in a reply, marked so that it is told apart from a value. */
interface ErrorValue {
  readonly rpcError: SentError;
}

/** Serves `target`'s methods on `port` (the worker side). */
export function serveCalls(port: MessagePort, target: object): void {
  port.on("message", (request: Request) => {
    const method = (target as Record<string, unknown>)[request.method];
    const call =
      typeof method === "function"
        ? Promise.resolve().then(() =>
            (method as (...args: unknown[]) => unknown).apply(target, [...request.args]),
          )
        : Promise.reject(new EngineError("internal", `the stage worker has no method ${request.method}`));
    call.then(
      (value) => {
        const encoded = encodeValue(value);
        port.postMessage({ id: request.id, value: encoded } satisfies Reply, transferables(encoded));
      },
      (error: unknown) => port.postMessage({ id: request.id, error: sentError(error) } satisfies Reply),
    );
  });
}

/** The owner's side: each call is a promise of its reply. */
export class CallClient {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly worker: Worker) {
    worker.on("message", (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if ("error" in reply) waiting.reject(receivedError(reply.error));
      else waiting.resolve(decodeValue(reply.value));
    });
  }

  call<T>(method: string, args: readonly unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, args } satisfies Request);
    });
  }

  /** Fails every call still waiting (the worker is gone). */
  failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

function sentError(error: unknown): SentError {
  if (error instanceof EngineError) return { message: error.message, code: error.code };
  return { message: error instanceof Error ? error.message : String(error) };
}

function receivedError(error: SentError): Error {
  return error.code ? new EngineError(error.code, error.message) : new Error(error.message);
}

function encodeValue(value: unknown): unknown {
  if (value instanceof Error) return { rpcError: sentError(value) } satisfies ErrorValue;
  return Array.isArray(value) ? value.map(encodeValue) : value;
}

function decodeValue(value: unknown): unknown {
  if (typeof value === "object" && value !== null && "rpcError" in value)
    return receivedError((value as ErrorValue).rpcError);
  return Array.isArray(value) ? value.map(decodeValue) : value;
}

/** The distinct array buffers under a value (typed arrays in objects, arrays and maps). */
function transferables(value: unknown, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (Array.isArray(value)) {
    for (const item of value) transferables(item, found);
  } else if (typeof value === "object" && value !== null) {
    for (const item of Object.values(value)) transferables(item, found);
  }
  return [...found];
}

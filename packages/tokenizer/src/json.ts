/** Narrowing helpers for the JSON tokenizer files; failures name the file and the field. */
import { TokenizerError } from "./errors";

export type JsonObject = { readonly [key: string]: unknown };

export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TokenizerError(`${source} is not valid JSON (${reason})`);
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function expectObject(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new TokenizerError(`${what} must be a JSON object`);
  return value;
}

export function expectArray(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new TokenizerError(`${what} must be a JSON array`);
  return value;
}

export function expectString(value: unknown, what: string): string {
  if (typeof value !== "string") throw new TokenizerError(`${what} must be a string`);
  return value;
}

export function expectInteger(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TokenizerError(`${what} must be an integer`);
  }
  return value;
}

export function optionalBoolean(value: unknown, fallback: boolean, what: string): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw new TokenizerError(`${what} must be true or false`);
  return value;
}

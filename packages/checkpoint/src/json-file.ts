import { readFile } from "node:fs/promises";
import { CheckpointError } from "./errors";

/** Reads a JSON object from a file; a missing or malformed file is a CheckpointError. */
export async function readJsonObject(file: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new CheckpointError("missing_file", `${what} not found: ${file}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(
      "invalid_json",
      `${what} ${file} is not valid JSON (${(error as Error).message})`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CheckpointError("invalid_json", `${what} ${file} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

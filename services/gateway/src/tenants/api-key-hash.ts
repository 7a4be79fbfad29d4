/** API keys are stored as the hex SHA-256 of the key, so a leaked tenants file reveals no key. */
import { createHash } from "node:crypto";

/** The key's SHA-256 as bytes: what a presented key is compared by. */
export function apiKeyDigest(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

export function hashApiKey(key: string): string {
  return apiKeyDigest(key).toString("hex");
}

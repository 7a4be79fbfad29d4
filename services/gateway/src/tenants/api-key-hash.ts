/** API keys are stored as the hex SHA-256 of the key, so a leaked tenants file reveals no key. */
import { createHash } from "node:crypto";

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/**
 * API keys: `authorization: Bearer <key>` or `x-api-key: <key>`. With no keys configured the
 * API is open (local and embedded use); keys are compared in constant time.
 */
import { timingSafeEqual } from "node:crypto";
import { type Metadata, status } from "@grpc/grpc-js";
import { serviceError } from "@pixellm/api";

export function authenticate(metadata: Metadata, keys: readonly string[]): void {
  if (keys.length === 0) return;
  const bearer = String(metadata.get("authorization")[0] ?? "").replace(/^Bearer\s+/i, "");
  const presented = bearer || String(metadata.get("x-api-key")[0] ?? "");
  if (!presented)
    throw serviceError(
      status.UNAUTHENTICATED,
      "an API key is required (metadata authorization: Bearer <key>, or x-api-key)",
    );
  const given = Buffer.from(presented);
  const ok = keys.some((key) => {
    const expected = Buffer.from(key);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!ok) throw serviceError(status.UNAUTHENTICATED, "the API key is not valid");
}

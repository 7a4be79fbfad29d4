/**
 * `pixellm tenants …`: API keys for the gateway's tenants file, which stores only their SHA-256.
 * The key is read from stdin, not from a flag, so it stays out of shell history and process lists.
 */
import { randomBytes } from "node:crypto";
import { text } from "node:stream/consumers";
import { hashApiKey } from "@pixellm/gateway";
import { UsageError } from "../usage-error";

export const tenantsUsage = `pixellm tenants <hash-key|new-key>

  hash-key   reads an API key from stdin (one line) and prints its SHA-256, for keySha256
             in PIXELLM_TENANTS_FILE: printf %s "$KEY" | pixellm tenants hash-key
  new-key    prints a new random API key (give it to the tenant) and its SHA-256 (for the file)`;

/** 32 random bytes: too many to guess, whatever the rate limit. */
const NEW_KEY_BYTES = 32;

export async function tenantsCommand(args: string[]): Promise<void> {
  const [verb, ...rest] = args;
  if (rest.length > 0) throw new UsageError(`pixellm tenants ${verb ?? ""} takes no arguments`);
  if (verb === "hash-key") {
    const key = (await text(process.stdin)).replace(/\r?\n$/, "");
    if (!key) throw new UsageError("no API key on stdin");
    console.log(hashApiKey(key));
  } else if (verb === "new-key") {
    const key = randomBytes(NEW_KEY_BYTES).toString("base64url");
    console.log(JSON.stringify({ key, keySha256: hashApiKey(key) }));
  } else {
    throw new UsageError(`unknown tenants command ${JSON.stringify(verb ?? "")}`);
  }
}

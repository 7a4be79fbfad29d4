/**
 * Who an API key belongs to. Keys from the tenants file (stored hashed) and PIXELLM_API_KEYS (one
 * tenant, "default") are all kept as SHA-256 digests; a presented key is hashed and compared with
 * every digest in constant time, so neither timing nor the answer tells which tenants exist.
 * With no keys at all the API is open and every caller is the "anonymous" tenant.
 */
import { timingSafeEqual } from "node:crypto";
import { ConfigError } from "@pixellm/service-kit";
import { apiKeyDigest } from "./api-key-hash";
import { type Tenant, operatorTenant } from "./tenant";
import type { TenantEntry } from "./tenants-file";

export const DEFAULT_TENANT = "default";
export const ANONYMOUS_TENANT = "anonymous";

interface KeyDigest {
  readonly digest: Buffer;
  readonly tenant: Tenant;
}

export class TenantDirectory {
  private readonly digests: readonly KeyDigest[];
  private readonly anonymous: Tenant | undefined;

  constructor(entries: readonly TenantEntry[], plainKeys: readonly string[]) {
    const fromFile = entries.flatMap(({ tenant, keySha256 }) =>
      keySha256.map((hex) => ({ digest: Buffer.from(hex, "hex"), tenant })),
    );
    if (plainKeys.length > 0 && entries.some(({ tenant }) => tenant.name === DEFAULT_TENANT))
      throw new ConfigError(
        `tenant name ${DEFAULT_TENANT} is taken by PIXELLM_API_KEYS; rename that tenant in PIXELLM_TENANTS_FILE`,
      );
    const operator = operatorTenant(DEFAULT_TENANT);
    const plain = plainKeys.map((key) => ({ digest: apiKeyDigest(key), tenant: operator }));
    this.digests = [...fromFile, ...plain];
    this.anonymous = this.digests.length === 0 ? operatorTenant(ANONYMOUS_TENANT) : undefined;
  }

  /** True when no keys are configured: every call is the anonymous tenant's. */
  get open(): boolean {
    return this.anonymous !== undefined;
  }

  /** The tenant of a presented key (any key, or none, when the API is open); undefined if unknown. */
  identify(presented: string | undefined): Tenant | undefined {
    if (this.anonymous) return this.anonymous;
    if (!presented) return undefined;
    const digest = apiKeyDigest(presented);
    let match: Tenant | undefined;
    // Every digest is compared, whatever matched, so the time does not depend on the tenant.
    for (const entry of this.digests) if (timingSafeEqual(entry.digest, digest)) match = entry.tenant;
    return match;
  }
}

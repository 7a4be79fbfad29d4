/**
 * The tenants file (PIXELLM_TENANTS_FILE, JSON; mounted from a Kubernetes Secret in the chart):
 *
 *   { "tenants": [ { "name": "acme", "keySha256": ["<64 hex>"], "permissions": ["evaluate"],
 *                    "maxConcurrentJobs": 20, "queueShare": 0.25, "maxPriority": 5 } ] }
 *
 * Keys are listed only as their SHA-256 (`pixellm tenants hash-key`). Every mistake is a
 * ConfigError naming the tenant, the field and the fix, so a bad file stops the gateway at start.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "@pixellm/service-kit";
import { PERMISSIONS, type Permission, type Tenant } from "./tenant";

export interface TenantEntry {
  readonly tenant: Tenant;
  /** Hex SHA-256 digests of the tenant's keys. */
  readonly keySha256: readonly string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const FIELDS = new Set([
  "name",
  "keySha256",
  "permissions",
  "maxConcurrentJobs",
  "queueShare",
  "maxPriority",
]);

export function readTenantsFile(path: string): TenantEntry[] {
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`PIXELLM_TENANTS_FILE ${path} cannot be read: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError(`PIXELLM_TENANTS_FILE ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseTenants(parsed, path);
}

export function parseTenants(parsed: unknown, source: string): TenantEntry[] {
  const list = (parsed as { tenants?: unknown } | null)?.tenants;
  if (!Array.isArray(list) || list.length === 0)
    throw new ConfigError(
      `${source}: expected {"tenants": [...]} with at least one tenant (unset PIXELLM_TENANTS_FILE for an open API)`,
    );
  const entries = list.map((item, index) => parseTenant(item, `${source}: tenants[${index}]`));
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const { tenant, keySha256 } of entries) {
    if (names.has(tenant.name)) throw new ConfigError(`${source}: tenant name ${tenant.name} appears twice`);
    names.add(tenant.name);
    for (const hash of keySha256) {
      if (hashes.has(hash))
        throw new ConfigError(
          `${source}: a key hash appears twice (tenant ${tenant.name}); each key has one tenant`,
        );
      hashes.add(hash);
    }
  }
  return entries;
}

function parseTenant(item: unknown, where: string): TenantEntry {
  if (typeof item !== "object" || item === null || Array.isArray(item))
    throw new ConfigError(`${where}: expected an object`);
  const fields = item as Record<string, unknown>;
  const unknownField = Object.keys(fields).find((key) => !FIELDS.has(key));
  if (unknownField)
    throw new ConfigError(`${where}: unknown field ${unknownField} (fields: ${[...FIELDS].join(", ")})`);
  const name = fields.name;
  if (typeof name !== "string" || !NAME.test(name))
    throw new ConfigError(
      `${where}: name must be 1 to 63 letters, digits, - or _ (got ${JSON.stringify(name)})`,
    );
  const at = `${where} (${name})`;
  const keys = fields.keySha256;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every((k) => typeof k === "string" && SHA256_HEX.test(k))
  )
    throw new ConfigError(
      `${at}: keySha256 must list the lowercase hex SHA-256 of each key (pixellm tenants hash-key prints it)`,
    );
  return {
    tenant: {
      name,
      permissions: permissionsOf(fields.permissions ?? [], at),
      maxConcurrentJobs: number(fields.maxConcurrentJobs, `${at}: maxConcurrentJobs`, 1, Infinity, true),
      queueShare: number(fields.queueShare, `${at}: queueShare`, Number.MIN_VALUE, 1, false),
      maxPriority: number(fields.maxPriority ?? 9, `${at}: maxPriority`, 0, 9, true),
    },
    keySha256: keys as string[],
  };
}

function permissionsOf(value: unknown, at: string): ReadonlySet<Permission> {
  if (!Array.isArray(value) || !value.every((p) => PERMISSIONS.includes(p as Permission)))
    throw new ConfigError(`${at}: permissions must be a list of ${PERMISSIONS.join(", ")}`);
  return new Set(value as Permission[]);
}

function number(value: unknown, what: string, min: number, max: number, integer: boolean): number {
  const ok =
    typeof value === "number" && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) {
    const range = min === Number.MIN_VALUE ? `in (0, ${max}]` : `${min} to ${max === Infinity ? "any" : max}`;
    throw new ConfigError(
      `${what} must be ${integer ? "an integer " : "a number "}${range} (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

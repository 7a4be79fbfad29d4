/** The tenants file, key lookup and job id forms: every mistake named, keys found only by their hash. */
import { ConfigError } from "@pixellm/service-kit";
import { describe, expect, it } from "vitest";
import {
  MAX_IDEMPOTENCY_KEY_CHARS,
  checkIdempotencyKey,
  checkJobId,
  idempotentJobId,
  newJobId,
} from "../src/job-ids";
import { hashApiKey } from "../src/tenants/api-key-hash";
import { ANONYMOUS_TENANT, DEFAULT_TENANT, TenantDirectory } from "../src/tenants/tenant-directory";
import { parseTenants } from "../src/tenants/tenants-file";

const acme = { name: "acme", keySha256: [hashApiKey("acme-key")], maxConcurrentJobs: 5, queueShare: 0.5 };

describe("tenants file", () => {
  it("reads tenants with defaults for permissions and priority", () => {
    const [entry] = parseTenants({ tenants: [acme] }, "f");
    expect(entry!.tenant).toEqual({
      name: "acme",
      permissions: new Set(),
      maxConcurrentJobs: 5,
      queueShare: 0.5,
      maxPriority: 9,
    });
  });

  it.each([
    [{}, /at least one tenant/],
    [{ tenants: [{ ...acme, keySha256: ["acme-key"] }] }, /keySha256 must list the lowercase hex SHA-256/],
    [{ tenants: [{ ...acme, queueShare: 0 }] }, /queueShare must be a number in \(0, 1\]/],
    [{ tenants: [{ ...acme, queueShare: 1.5 }] }, /queueShare/],
    [{ tenants: [{ ...acme, maxConcurrentJobs: undefined }] }, /maxConcurrentJobs must be an integer/],
    [{ tenants: [{ ...acme, maxPriority: 10 }] }, /maxPriority must be an integer 0 to 9/],
    [{ tenants: [{ ...acme, permissions: ["admin"] }] }, /permissions must be a list of evaluate/],
    [{ tenants: [{ ...acme, name: "a b" }] }, /name must be/],
    [{ tenants: [{ ...acme, keysha256: [] }] }, /unknown field keysha256/],
    [{ tenants: [acme, { ...acme, keySha256: [hashApiKey("x")] }] }, /acme appears twice/],
    [{ tenants: [acme, { ...acme, name: "other" }] }, /a key hash appears twice/],
  ])("refuses %j", (file, message) => {
    expect(() => parseTenants(file, "f")).toThrow(ConfigError);
    expect(() => parseTenants(file, "f")).toThrow(message);
  });
});

describe("tenant directory", () => {
  it("finds a tenant by its key's hash, the plain keys' tenant, and nobody for other keys", () => {
    const directory = new TenantDirectory(parseTenants({ tenants: [acme] }, "f"), ["plain"]);
    expect(directory.open).toBe(false);
    expect(directory.identify("acme-key")?.name).toBe("acme");
    expect(directory.identify("plain")?.name).toBe(DEFAULT_TENANT);
    expect(directory.identify("plain")?.permissions.has("evaluate")).toBe(true);
    expect(directory.identify(hashApiKey("acme-key"))).toBeUndefined();
    expect(directory.identify("acme-key ")).toBeUndefined();
    expect(directory.identify(undefined)).toBeUndefined();
  });

  it("is open, with one anonymous tenant, when no key is configured", () => {
    const directory = new TenantDirectory([], []);
    expect(directory.open).toBe(true);
    expect(directory.identify(undefined)?.name).toBe(ANONYMOUS_TENANT);
    expect(directory.identify("anything")?.name).toBe(ANONYMOUS_TENANT);
  });

  it("refuses a file tenant named like the plain keys' tenant", () => {
    const entries = parseTenants({ tenants: [{ ...acme, name: DEFAULT_TENANT }] }, "f");
    expect(() => new TenantDirectory(entries, ["plain"])).toThrow(/taken by PIXELLM_API_KEYS/);
  });
});

describe("job ids", () => {
  it("accepts the forms it generates and nothing else", () => {
    expect(() => checkJobId(newJobId())).not.toThrow();
    expect(() => checkJobId(idempotentJobId("acme", "k"))).not.toThrow();
    for (const bad of ["meta", "../x", "", "x".repeat(10_240), newJobId().toUpperCase(), `${newJobId()}\n`])
      expect(() => checkJobId(bad)).toThrow(/not a job id this API issued/);
  });

  it("refuses idempotency keys over the length limit", () => {
    expect(() => checkIdempotencyKey("k".repeat(MAX_IDEMPOTENCY_KEY_CHARS))).not.toThrow();
    expect(() => checkIdempotencyKey("k".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1))).toThrow(/more than 256/);
  });

  it("derives idempotent ids from the tenant and the key", () => {
    expect(idempotentJobId("a", "k")).toBe(idempotentJobId("a", "k"));
    expect(idempotentJobId("a", "k")).not.toBe(idempotentJobId("b", "k"));
    expect(idempotentJobId("ab", "c")).not.toBe(idempotentJobId("a", "bc"));
  });
});

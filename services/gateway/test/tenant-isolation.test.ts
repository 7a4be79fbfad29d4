/**
 * Tenants over real gRPC on loopback, against BullMQ on a real Redis (unique key prefix) and the
 * embedded mode's in-memory queue alike: keys checked before the message is read, jobs visible
 * only to their tenant, idempotency keys scoped to the tenant and tied to the request, job ids
 * format-checked, and each tenant's permissions and limits.
 */
import { Metadata, credentials, status } from "@grpc/grpc-js";
import { services } from "@pixellm/api";
import { PixelLMClient } from "@pixellm/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure } from "../../../test/support/call-failure";
import { shapesImage } from "../../../test/support/images";
import { makeTinyBundle } from "../../../test/support/tiny-bundle";
import { hashApiKey } from "../src/tenants/api-key-hash";
import { parseTenants } from "../src/tenants/tenants-file";
import { type TenantGateway, startTenantGateway } from "./tenant-gateway";

const MAX_QUEUED = 50;
const TENANTS = parseTenants(
  {
    tenants: [
      { name: "alpha", keySha256: [hashApiKey("alpha-key")], maxConcurrentJobs: 1000, queueShare: 1 },
      {
        name: "beta",
        keySha256: [hashApiKey("beta-key"), hashApiKey("beta-second-key")],
        permissions: ["evaluate"],
        maxConcurrentJobs: 1000,
        queueShare: 1,
      },
      {
        name: "capped",
        keySha256: [hashApiKey("capped-key")],
        maxConcurrentJobs: 2,
        queueShare: 1,
        maxPriority: 3,
      },
      // 0.04 of 50: two queued jobs at most.
      { name: "shared", keySha256: [hashApiKey("shared-key")], maxConcurrentJobs: 100, queueShare: 0.04 },
    ],
  },
  "test tenants",
);

let bundleDir: string;
beforeAll(async () => {
  bundleDir = (await makeTinyBundle()).bundleDir;
}, 240_000);

describe.each(["redis", "embedded"] as const)("tenants (%s mode)", (mode) => {
  let gateway: TenantGateway;
  const clients: PixelLMClient[] = [];
  const client = (apiKey?: string) => {
    const made = new PixelLMClient(gateway.address, apiKey ? { apiKey } : {});
    clients.push(made);
    return made;
  };
  const request = async (variant: number) => ({
    image: await shapesImage(64, 48, "png", variant),
    query: "Segment it.",
  });

  beforeAll(async () => {
    gateway = await startTenantGateway({
      mode,
      bundleDir,
      tenants: TENANTS,
      apiKeys: ["plain-key"],
      maxQueued: MAX_QUEUED,
    });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await gateway?.stop();
  });

  it("refuses a 16 MB message without a key before reading it: UNAUTHENTICATED, quickly, nothing parsed", async () => {
    const parsedBefore = gateway.parsedMessages();
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const big = { image: new Uint8Array(16 * 2 ** 20).fill(7), query: "x" };
    const refused = await failure(client().submitJob(big));
    const elapsedMs = performance.now() - started;
    expect(refused.code).toBe(status.UNAUTHENTICATED);
    expect(refused.details).toMatch(/API key is required/);
    expect((await failure(client("wrong-key").submitJob(big))).details).toMatch(/API key is not valid/);
    // The message was never deserialised, and the refusal did not wait for it.
    expect(gateway.parsedMessages()).toBe(parsedBefore);
    expect(elapsedMs).toBeLessThan(5000);
    // Client and server share this process: the bound holds the client's own 16 MB request and
    // its encoded copies, far below what parsing a large message costs (issue 11: +1.2 GB).
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(160 * 2 ** 20);
    // The count is live: an authenticated call's message is deserialised.
    await client("alpha-key")
      .getJob("00000000-0000-4000-8000-000000000000")
      .catch(() => undefined);
    expect(gateway.parsedMessages()).toBe(parsedBefore + 1);
  });

  it("tenant B cannot get, watch or cancel tenant A's job, even with its id", async () => {
    const alpha = client("alpha-key");
    const beta = client("beta-key");
    const job = await alpha.submitJob(await request(1));
    const unknownId = "00000000-0000-4000-8000-000000000000";
    const notFound = (id: string) => `job "${id}" is unknown or its result expired`;

    const get = await failure(beta.getJob(job.jobId));
    expect(get).toMatchObject({ code: status.NOT_FOUND, details: notFound(job.jobId) });
    expect(await failure(beta.getJob(unknownId))).toMatchObject({
      code: status.NOT_FOUND,
      details: notFound(unknownId),
    });
    expect((await failure(beta.cancelJob(job.jobId))).code).toBe(status.NOT_FOUND);
    const watched = (async () => {
      for await (const update of beta.watchJob(job.jobId)) void update;
    })();
    expect((await failure(watched)).code).toBe(status.NOT_FOUND);
    // The operator's plain keys are a tenant of their own, too.
    expect((await failure(client("plain-key").getJob(job.jobId))).code).toBe(status.NOT_FOUND);

    // Tenant A still sees its job, and B's cancel did nothing; another key of B sees B's jobs.
    expect((await alpha.getJob(job.jobId)).state).toBe("JOB_STATE_QUEUED");
    const betaJob = await beta.submitJob(await request(2));
    expect((await client("beta-second-key").getJob(betaJob.jobId)).jobId).toBe(betaJob.jobId);
    expect((await alpha.cancelJob(job.jobId)).state).toBe("JOB_STATE_CANCELLED");
    // A cancelled job stays its tenant's.
    expect((await failure(beta.getJob(job.jobId))).code).toBe(status.NOT_FOUND);
    expect((await alpha.getJob(job.jobId)).state).toBe("JOB_STATE_CANCELLED");
  });

  it("accepts the key as x-api-key too", async () => {
    const raw = new (services().PixelLM)(gateway.address, credentials.createInsecure());
    const getJob = (metadata: Metadata) =>
      new Promise<{ code?: number }>((resolve) =>
        raw.GetJob({ jobId: "00000000-0000-4000-8000-000000000000" }, metadata, (error) =>
          resolve(error ?? {}),
        ),
      );
    const keyed = new Metadata();
    keyed.set("x-api-key", "alpha-key");
    const wrong = new Metadata();
    wrong.set("x-api-key", "alpha-key-2");
    expect((await getJob(keyed)).code).toBe(status.NOT_FOUND);
    expect((await getJob(wrong)).code).toBe(status.UNAUTHENTICATED);
    raw.close();
  });

  it("idempotency keys name a job per tenant, and a key reused for another request is refused", async () => {
    const alpha = client("alpha-key");
    const beta = client("beta-key");
    const first = await alpha.submitJob(await request(3), { idempotencyKey: "order-17" });
    const again = await alpha.submitJob(await request(3), { idempotencyKey: "order-17" });
    expect(again.jobId).toBe(first.jobId);
    const betas = await beta.submitJob(await request(3), { idempotencyKey: "order-17" });
    expect(betas.jobId).not.toBe(first.jobId);
    expect((await failure(beta.getJob(first.jobId))).code).toBe(status.NOT_FOUND);

    const otherImage = await failure(alpha.submitJob(await request(4), { idempotencyKey: "order-17" }));
    expect(otherImage.code).toBe(status.ALREADY_EXISTS);
    expect(otherImage.details).toMatch(/idempotency key already used for a different request/);
    const otherQuestion = await failure(
      alpha.submitJob({ ...(await request(3)), query: "Where is the box?" }, { idempotencyKey: "order-17" }),
    );
    expect(otherQuestion.code).toBe(status.ALREADY_EXISTS);
  });

  it("refuses job ids that are not ours with INVALID_ARGUMENT", async () => {
    const alpha = client("alpha-key");
    for (const id of ["meta", "../x", "", "id", "x".repeat(10 * 1024), "idem-XYZ", "123"]) {
      for (const call of [alpha.getJob(id), alpha.cancelJob(id)]) {
        const refused = await failure(call);
        expect(refused.code, JSON.stringify(id.slice(0, 20))).toBe(status.INVALID_ARGUMENT);
        expect(refused.details.length).toBeLessThan(300);
      }
    }
  });

  it("answer ids need the evaluate permission", async () => {
    const forced = { ...(await request(5)), answerIds: [1, 2, 3] };
    const denied = await failure(client("alpha-key").submitJob(forced));
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(denied.details).toMatch(/evaluate permission/);
    expect((await client("beta-key").submitJob(forced)).state).toBe("JOB_STATE_QUEUED");
  });

  it("caps a tenant's priority and its queued plus running jobs; a finished job frees its place", async () => {
    const capped = client("capped-key");
    const high = await failure(capped.submitJob({ ...(await request(6)), priority: 4 }));
    expect(high.code).toBe(status.PERMISSION_DENIED);
    expect(high.details).toMatch(/maximum \(3\)/);
    const a = await capped.submitJob({ ...(await request(6)), priority: 3 });
    await capped.submitJob(await request(7));
    const third = await failure(capped.submitJob(await request(8)));
    expect(third.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(third.details).toMatch(/maxConcurrentJobs 2/);
    // Other tenants are not affected by one tenant's limit.
    expect((await client("alpha-key").submitJob(await request(8))).state).toBe("JOB_STATE_QUEUED");
    await capped.cancelJob(a.jobId);
    expect((await capped.submitJob(await request(8))).state).toBe("JOB_STATE_QUEUED");
  });

  it("caps a tenant's queued jobs at its share of the queue", async () => {
    const shared = client("shared-key");
    await shared.submitJob(await request(9));
    await shared.submitJob(await request(10));
    const third = await failure(shared.submitJob(await request(11)));
    expect(third.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(third.details).toMatch(/queueShare 0.04 of 50/);
  });
});

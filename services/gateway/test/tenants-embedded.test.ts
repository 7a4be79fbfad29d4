/**
 * The tenants file as `startGateway` wires it, in the embedded mode (in-memory queue, in-process
 * stages of the generated tiny bundle): the interceptor guards the public service (its refusals
 * counted in the RPC metrics), jobs run to completion for their tenant and stay invisible to
 * others, and a bad file stops the start.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { status } from "@grpc/grpc-js";
import { PixelLMClient } from "@pixellm/client";
import { checkHealth } from "@pixellm/service-kit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { shapesImage } from "../../../test/support/images";
import { type TestMetrics, installTestMetrics } from "../../../test/support/test-metrics";
import { makeTinyBundle, tempDir } from "../../../test/support/tiny-bundle";
import { type RunningGateway, gatewayConfig, startGateway } from "../src";
import { hashApiKey } from "../src/tenants/api-key-hash";

let bundleDir: string;
let tenantsFile: string;
let gateway: RunningGateway | undefined;
const clients: PixelLMClient[] = [];
let testMetrics: TestMetrics;

const settings = (file: string) => ({
  PIXELLM_BUNDLE: bundleDir,
  GATEWAY_MODE: "embedded",
  GATEWAY_HOST: "127.0.0.1",
  GATEWAY_PORT: "0",
  PIXELLM_TENANTS_FILE: file,
  PIXELLM_WARM_UP: "false",
  PIXELLM_LOG_LEVEL: "error",
});

beforeAll(async () => {
  testMetrics = installTestMetrics();
  bundleDir = (await makeTinyBundle()).bundleDir;
  tenantsFile = path.join(await tempDir("tenants"), "tenants.json");
  const tenant = (name: string) => ({
    name,
    keySha256: [hashApiKey(`${name}-key`)],
    maxConcurrentJobs: 4,
    queueShare: 0.5,
  });
  await writeFile(tenantsFile, JSON.stringify({ tenants: [tenant("alpha"), tenant("beta")] }));
  gateway = await startGateway(gatewayConfig(settings(tenantsFile)));
}, 240_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await gateway?.stop();
});

const client = (apiKey?: string) => {
  const made = new PixelLMClient(`127.0.0.1:${gateway!.port}`, apiKey ? { apiKey } : {});
  clients.push(made);
  return made;
};

it("serves a tenant's request, hides its job from other tenants and refuses calls without a key", async () => {
  const address = `127.0.0.1:${gateway!.port}`;
  expect(await checkHealth(address, "")).toBe("SERVING"); // probes need no key
  const request = { image: await shapesImage(96, 64), query: "Segment the ball." };
  const refused = await client()
    .segment(request)
    .catch((e: unknown) => e as { code: number });
  expect(refused).toMatchObject({ code: status.UNAUTHENTICATED });
  // Refused by the interceptor, before any handler: still counted with the other calls.
  expect(await testMetrics.count("pixellm_rpc_server_handled_total", { code: "UNAUTHENTICATED" })).toBe(1);

  const response = await client("alpha-key").segment(request, { timeoutMs: 60_000 });
  expect(response.jobId).toMatch(/^[0-9a-f-]{36}$/);
  expect((await client("alpha-key").getJob(response.jobId)).state).toBe("JOB_STATE_SUCCEEDED");
  const hidden = await client("beta-key")
    .getJob(response.jobId)
    .catch((e: unknown) => e as { code: number });
  expect(hidden).toMatchObject({ code: status.NOT_FOUND });
}, 120_000);

it("does not start with a tenants file it cannot use", async () => {
  const bad = path.join(path.dirname(tenantsFile), "bad.json");
  await writeFile(bad, JSON.stringify({ tenants: [{ name: "x", keySha256: ["plain-key"] }] }));
  await expect(startGateway(gatewayConfig(settings(bad)))).rejects.toThrow(/keySha256 must list/);
});

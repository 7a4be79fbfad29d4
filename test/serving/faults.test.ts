/**
 * Crashes under load, with real processes: kill -9 of one replica of each stage during a
 * 200-request run with stage queues that fill up, and kill -9 of a gateway with jobs in flight.
 * No job may be lost or produce two results; in the first run every job succeeds.
 */
import { Queue, QueueEvents } from "bullmq";
import { PixelLMClient } from "@pixellm/client";
import { stageInfo } from "@pixellm/launcher";
import type { Job__Output } from "@pixellm/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_URL, type TestDeployment, startTestDeployment } from "../support/deployment";
import { shapesImage } from "../support/images";

let env: TestDeployment;
let clients: PixelLMClient[];
let completions: Map<string, number>;
let events: QueueEvents;
let queue: Queue;

const TERMINAL = new Set(["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"]);

beforeAll(async () => {
  env = await startTestDeployment({
    replicas: 2,
    gateways: 2,
    // Stage queues far below the 2 × 64 jobs the gateways run at once: the stages push back.
    env: { VISION_MAX_QUEUE: "4", LLM_MAX_QUEUE: "4", DECODER_MAX_QUEUE: "4" },
  });
  clients = env.deployment.gatewayAddresses.map((address) => new PixelLMClient(address));
  // Every completion BullMQ announces, per job: a job completed twice would show up here.
  completions = new Map();
  const bull = { connection: { url: REDIS_URL }, prefix: env.keyPrefix };
  events = new QueueEvents("jobs", bull);
  queue = new Queue("jobs", bull);
  await events.waitUntilReady();
  events.on("completed", ({ jobId }) => completions.set(jobId, (completions.get(jobId) ?? 0) + 1));
}, 240_000);

afterAll(async () => {
  for (const c of clients ?? []) c.close();
  await events?.close();
  await queue?.close();
  await env?.deployment.stop();
});

/** Polls until every job is finished (through any live gateway). */
async function settle(
  ids: readonly string[],
  client: () => PixelLMClient,
  timeoutMs: number,
): Promise<Map<string, Job__Output>> {
  const done = new Map<string, Job__Output>();
  const until = Date.now() + timeoutMs;
  while (done.size < ids.length && Date.now() < until) {
    for (const id of ids) {
      if (done.has(id)) continue;
      const job = await client().getJob(id);
      if (TERMINAL.has(job.state)) done.set(id, job);
    }
    if (done.size < ids.length) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return done;
}

describe("faults", () => {
  it(
    "kill -9 of one replica of each stage during a 200-request run: nothing lost, nothing duplicated",
    { timeout: 600_000 },
    async () => {
      const images = await Promise.all(
        Array.from({ length: 50 }, (_, i) => shapesImage(200 + 4 * i, 150, i % 2 ? "jpeg" : "png", i)),
      );
      const queries = [
        "Segment the ball.",
        "Where is the box?",
        "What is in the image?",
        "Please segment the red ball.",
      ];
      const keys = Array.from({ length: 200 }, (_, i) => `fault-run-${env.keyPrefix}-${i}`);
      const submit = (i: number) =>
        clients[i % 2]!.submitJob(
          { image: images[i % 50]!, query: queries[Math.floor(i / 50)]! },
          { idempotencyKey: keys[i]!, deadlineUnixMs: Date.now() + 600_000 },
        );
      const ids: string[] = [];
      for (let start = 0; start < 200; start += 25)
        ids.push(
          ...(await Promise.all(Array.from({ length: 25 }, (_, k) => submit(start + k)))).map((j) => j.jobId),
        );

      // Once the run is under way, one replica of each stage dies without a chance to drain.
      while (completions.size < 30) await new Promise((resolve) => setTimeout(resolve, 100));
      const victims = [
        env.deployment.byRole("vision-encoder")[0]!,
        env.deployment.byRole("llm")[0]!,
        env.deployment.byRole("pixel-decoder")[0]!,
      ];
      for (const victim of victims) victim.kill("SIGKILL");

      // Clients retrying with their idempotency keys get the same jobs back.
      const retried = await Promise.all(Array.from({ length: 20 }, (_, i) => submit(i * 10)));
      expect(retried.map((j) => j.jobId)).toEqual(Array.from({ length: 20 }, (_, i) => ids[i * 10]));

      const finished = await settle(ids, () => clients[0]!, 300_000);
      expect(finished.size, "jobs lost (never finished)").toBe(200);
      expect(new Set(ids).size).toBe(200);
      const outcomes = [...finished.values()];
      // Every job succeeds: a call in flight on a killed replica moves to its sibling, and a
      // sibling's full queue (far smaller here than the gateways' concurrency) is waited out.
      const failed = outcomes.filter((j) => j.state !== "JOB_STATE_SUCCEEDED");
      expect(
        failed.map((job) => `${job.jobId}: ${job.state} ${job.error?.code} ${job.error?.message}`),
      ).toEqual([]);
      for (const job of outcomes) expect(job.result?.targets, job.jobId).toBeInstanceOf(Array);
      // …and the surviving replicas did refuse calls as busy, so the waiting was exercised.
      const survivors = (["vision-encoder", "llm", "pixel-decoder"] as const).map(
        (role) => env.deployment.byRole(role)[1]!,
      );
      const refused = await Promise.all(
        survivors.map(async (p) => Number((await stageInfo(p)).stats?.rejected ?? 0)),
      );
      expect(
        refused.reduce((a, b) => a + b),
        `refusals per stage ${refused.join(", ")}`,
      ).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 500)); // let the last completion events arrive
      const duplicated = [...completions.entries()].filter(([, n]) => n > 1);
      expect(duplicated, "jobs that completed twice").toEqual([]);
      for (const [id, job] of finished)
        if (job.state === "JOB_STATE_SUCCEEDED") expect(completions.get(id) ?? 0, id).toBeLessThanOrEqual(1);

      for (const victim of victims) await env.deployment.restart(victim);
    },
  );

  it(
    "kill -9 of a gateway with jobs in flight: another gateway finishes them",
    { timeout: 300_000 },
    async () => {
      const [doomed, survivor] = env.deployment.byRole("gateway");
      const images = await Promise.all(
        Array.from({ length: 24 }, (_, i) => shapesImage(180 + 6 * i, 140, "png", 100 + i)),
      );
      const jobs = await Promise.all(
        images.map((image) =>
          clients[0]!.submitJob(
            { image, query: "Segment the ball." },
            { deadlineUnixMs: Date.now() + 300_000 },
          ),
        ),
      );
      // Kill one gateway while both are running jobs: its jobs keep their locks only briefly.
      for (let tries = 0; tries < 400 && (await queue.getActiveCount()) < 8; tries++)
        await new Promise((resolve) => setTimeout(resolve, 25));
      expect(await queue.getActiveCount()).toBeGreaterThanOrEqual(8);
      doomed!.kill("SIGKILL");
      const survivorClient = clients[env.deployment.gatewayAddresses.indexOf(survivor!.address)]!;
      const finished = await settle(
        jobs.map((j) => j.jobId),
        () => survivorClient,
        120_000,
      );
      expect(finished.size).toBe(jobs.length);
      for (const job of finished.values())
        expect(job.state, `${job.jobId}: ${job.error?.message}`).toBe("JOB_STATE_SUCCEEDED");
      const recovered = [...finished.values()].filter((job) => job.attempts >= 2);
      expect(
        recovered.length,
        "jobs the dead gateway was running, finished by the other one",
      ).toBeGreaterThan(0);
    },
  );
});

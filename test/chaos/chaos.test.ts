/**
 * Chaos under load. 300 logical requests at concurrency 16 go to 2 gateways in front of
 * 2 replicas of each stage, while a seeded chaos script kill -9s a random process every few
 * seconds — gateways, stage replicas and Redis (a private redis-server, AOF fsynced on every
 * write, restarted from its AOF) — and restarts it after a short delay as Kubernetes would.
 * Clients submit async jobs with one idempotency key per logical request and retry with the same
 * key, against either gateway, on any retryable status (retrying-client.ts).
 *
 * What is counted, per logical request (its key names exactly one job id):
 *   - accepted: SubmitJob answered OK at least once;
 *   - completed: the client received the job as SUCCEEDED;
 *   - lost: accepted, yet neither completed nor ended with a non-retryable status before the
 *     time bound (the client was still retrying, or the job was stuck);
 *   - duplicated: the job's completion was delivered more than once — BullMQ committed
 *     "completed" for the job id more than once (counted live from the queue's event stream; that
 *     every completion the client saw was counted exactly once checks the count itself), or the
 *     job read at the end is no longer SUCCEEDED with the answer and masks the client received (a
 *     second execution overwrote it or moved it back).
 * Exactly once: every accepted request completes with one committed completion. A job executed
 * again after its gateway or a stage was killed mid-run ("job done" logged twice by the
 * gateways) is not a duplicate as long as only one completion is committed and delivered; those
 * re-executions are counted and printed. A request that ends failed with a non-retryable status
 * is not lost but is reported and fails the test too, as does any submission refused with one.
 *
 * Run alone: `pnpm test:chaos` (CHAOS_SEED=n picks another kill sequence).
 */
import { mkdir, readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { status } from "@grpc/grpc-js";
import { QueueEvents } from "bullmq";
import { PixelLMClient } from "@pixellm/client";
import { RedisServer } from "@pixellm/launcher";
import { Rng } from "@pixellm/synth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestDeployment, startTestDeployment } from "../support/deployment";
import { shapesImage } from "../support/images";
import { tempDir } from "../support/tiny-bundle";
import { ChaosMonkey, type Victim } from "./support/chaos-monkey";
import { type RequestOutcome, sendUntilDone } from "./support/retrying-client";

const SEED = Number(process.env.CHAOS_SEED ?? 11);
const REQUESTS = 300;
const CONCURRENCY = 16;
/** The load phase's hard bound: requests still retrying then are counted lost. */
const LOAD_BOUND_MS = 150_000;
/**
 * Request i is sent no sooner than i × PACE_MS after the start, so the load lasts at least
 * REQUESTS × PACE_MS (42 s) however fast the machine answers: long enough for the monkey (a kill
 * every 2–4 s) to hit every kind, twice on average, while requests are in flight.
 */
const PACE_MS = 140;

let redis: RedisServer;
let env: TestDeployment;
let clients: PixelLMClient[];
/** Every "completed" BullMQ commits, per job id, read live from the queue's event stream. */
let committed: Map<string, number>;
let events: QueueEvents;

beforeAll(async () => {
  const dir = await tempDir("chaos-redis");
  await mkdir(dir, { recursive: true });
  redis = await RedisServer.start({ dir });
  env = await startTestDeployment({
    replicas: 2,
    gateways: 2,
    redisUrl: redis.url,
    readyTimeoutMs: 60_000,
  });
  clients = env.deployment.gatewayAddresses.map((address) => new PixelLMClient(address));
  // Read as it is written (the stream is bounded, so it cannot be read whole at the end); it
  // reconnects after each Redis restart and goes on from the last event it read.
  committed = new Map();
  events = new QueueEvents("jobs", {
    connection: { url: redis.url, maxRetriesPerRequest: null },
    prefix: env.keyPrefix,
  });
  events.on("error", () => undefined); // Redis being killed: it reconnects
  await events.waitUntilReady();
  events.on("completed", ({ jobId }) => committed.set(jobId, (committed.get(jobId) ?? 0) + 1));
}, 240_000);

afterAll(async () => {
  for (const c of clients ?? []) c.close();
  await events?.close();
  await env?.deployment.stop();
  await redis?.stop();
});

describe("chaos under load", () => {
  it(
    `${REQUESTS} requests at concurrency ${CONCURRENCY} while processes and Redis are killed: 0 lost, 0 duplicated`,
    { timeout: LOAD_BOUND_MS + 90_000 },
    async () => {
      const rng = new Rng(SEED, "chaos");
      const images = await Promise.all(
        Array.from({ length: 40 }, (_, i) => shapesImage(120 + 4 * i, 96, i % 2 ? "jpeg" : "png", i)),
      );
      const queries = ["Segment the ball.", "Where is the box?", "What is in the image?"];
      const victims: Victim[] = [
        ...env.deployment.processes.map((process): Victim => ({
          name: process.name,
          kind: process.role,
          kill: async () => {
            process.kill("SIGKILL");
            await process.exited;
          },
          start: async () => {
            try {
              await env.deployment.restart(process);
            } catch (error) {
              process.kill("SIGKILL"); // a start that hung: the next attempt must not race it
              await process.exited;
              throw error;
            }
          },
        })),
        { name: "redis", kind: "redis", kill: () => redis.kill9(), start: () => redis.restart() },
      ];
      const monkey = new ChaosMonkey(victims, rng, {
        intervalMs: { min: 2000, max: 4000 },
        restartDelayMs: 1000,
        maxStartAttempts: 8,
      });

      const started = Date.now();
      const giveUpAt = started + LOAD_BOUND_MS;
      const outcomes: RequestOutcome[] = [];
      let next = 0;
      const worker = async () => {
        while (next < REQUESTS) {
          const i = next++;
          const notBefore = started + i * PACE_MS;
          if (Date.now() < notBefore)
            await new Promise((resolve) => setTimeout(resolve, notBefore - Date.now()));
          outcomes.push(
            await sendUntilDone(
              clients,
              i,
              `chaos-${env.keyPrefix}-${i}`,
              { image: images[i % images.length]!, query: queries[i % queries.length]! },
              {
                giveUpAt,
                jobDeadline: giveUpAt + 60_000,
                callTimeoutMs: 10_000,
                watchTimeoutMs: 20_000,
                backoffMs: 250,
              },
            ),
          );
        }
      };
      monkey.start();
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const loadSeconds = (Date.now() - started) / 1000;
      await monkey.stop();

      // Measured completions: BullMQ's "completed" events per job id, and the gateways' "job
      // done" lines (executions, re-runs after a crash included).
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the last events in flight
      const executions = await jobDoneLinesPerJob(env.logDir);
      const stored = await finalViews(outcomes);

      const accepted = outcomes.filter((o) => o.accepted);
      const completed = outcomes.filter((o) => o.end === "succeeded");
      const lost = accepted.filter((o) => o.end === "unfinished");
      const failed = outcomes.filter((o) => o.end === "failed" || o.end === "rejected");
      const duplicated = completed.filter((o) => {
        const id = o.job!.jobId;
        const later = stored.get(id);
        const overwritten =
          later !== undefined &&
          (later.state !== "JOB_STATE_SUCCEEDED" ||
            JSON.stringify(later.result?.outputIds) !== JSON.stringify(o.job!.result?.outputIds) ||
            JSON.stringify(later.result?.targets) !== JSON.stringify(o.job!.result?.targets));
        return (committed.get(id) ?? 0) > 1 || overwritten;
      });
      const multiJob = outcomes.filter((o) => o.jobIds.size > 1);
      const reExecuted = [...executions.values()].filter((n) => n > 1).length;
      // Per reason: how often, and the messages seen (the statuses a client had to retry).
      const reasons = new Map<string, { count: number; messages: Set<string> }>();
      for (const o of outcomes)
        o.retryReasons.forEach((reason, i) => {
          const entry = reasons.get(reason) ?? { count: 0, messages: new Set() };
          entry.count++;
          entry.messages.add(o.retryMessages[i]!.replace(/[0-9a-f]{32}|\d+/g, "…"));
          reasons.set(reason, entry);
        });

      const report = {
        seed: SEED,
        loadSeconds: Number(loadSeconds.toFixed(1)),
        requests: outcomes.length,
        accepted: accepted.length,
        completed: completed.length,
        retried: outcomes.filter((o) => o.retries > 0).length,
        retries: outcomes.reduce((sum, o) => sum + o.retries, 0),
        lost: lost.length,
        duplicated: duplicated.length,
        failed: failed.length,
        committedCompletions: [...committed.values()].reduce((a, b) => a + b, 0),
        executions: [...executions.values()].reduce((a, b) => a + b, 0),
        jobsExecutedMoreThanOnce: reExecuted,
        kills: monkey.killsByKind(),
        retryReasons: Object.fromEntries(
          [...reasons].map(([reason, { count, messages }]) => [reason, { count, messages: [...messages] }]),
        ),
      };
      console.log(`chaos run:\n${JSON.stringify(report, null, 2)}`);
      for (const event of monkey.events.filter((e) => e.action === "restart failed"))
        console.log(`restart failed: ${event.victim} at ${event.atMs} ms: ${event.detail}`);
      console.log(
        `kills: ${monkey.events
          .filter((e) => e.action === "killed")
          .map((e) => `${(e.atMs / 1000).toFixed(1)}s ${e.victim}`)
          .join(", ")}`,
      );
      for (const o of [...lost, ...failed])
        console.log(
          `${o.end}: ${o.key} job ${[...o.jobIds].join(",")} after ${o.retries} retries; ${o.error ? `${status[o.error.code]} ${o.error.message}` : `last retry: ${o.retryMessages.at(-1)}`}`,
        );

      expect(monkey.lost, `processes that never came back; events: ${JSON.stringify(monkey.events)}`).toEqual(
        [],
      );
      expect(Object.values(report.kills).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10);
      for (const [kind, kills] of Object.entries(report.kills))
        expect(kills, `${kind} processes killed`).toBeGreaterThanOrEqual(1);
      expect(outcomes.length).toBe(REQUESTS);
      expect(multiJob, "a key that named two jobs").toEqual([]);
      expect(
        lost.map((o) => o.key),
        "lost",
      ).toEqual([]);
      expect(
        duplicated.map((o) => o.key),
        "duplicated",
      ).toEqual([]);
      expect(
        failed.map((o) => `${o.key}: ${status[o.error!.code]} ${o.error!.message}`),
        "ended with a non-retryable status",
      ).toEqual([]);
      expect(completed.length).toBe(REQUESTS);
      // Every completion the client saw was seen committed exactly once: also the check that the
      // live count missed nothing (a missed event would show as 0 here, not hide a duplicate).
      for (const o of completed) expect(committed.get(o.job!.jobId), o.key).toBe(1);
      expect(report.committedCompletions).toBe(completed.length);
    },
  );
});

/** Per job id, the "job done" lines the gateways logged (each is one finished execution). */
async function jobDoneLinesPerJob(logDir: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const file of (await readdir(logDir)).filter((f) => f.startsWith("gateway-"))) {
    for (const line of (await readFile(path.join(logDir, file), "utf8")).split("\n")) {
      if (!line.includes('"job done"')) continue;
      const { job_id: id } = JSON.parse(line) as { job_id: string };
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

/** Each succeeded job as it is stored after the run (through the first gateway). */
async function finalViews(outcomes: readonly RequestOutcome[]) {
  const views = new Map<string, Awaited<ReturnType<PixelLMClient["getJob"]>>>();
  for (const o of outcomes)
    if (o.job) views.set(o.job.jobId, await clients[0]!.getJob(o.job.jobId, { timeoutMs: 10_000 }));
  return views;
}

/**
 * Soak: the local distributed deployment (one gateway, one replica per stage, the tiny model,
 * a private redis-server) under closed-loop load at concurrency 8 for a while (20 minutes by
 * default), with every process's resident memory (VmRSS from /proc/<pid>/status) and Redis's
 * `used_memory` sampled every few seconds. For each series it prints the least-squares slope,
 * in MB per minute, over the second half of the run (the first half is warm-up: JIT, pools,
 * caches, and Redis filling up to its steady state), against a stated bound, and writes
 * bench/results/soak.json. It exits 1 when a slope exceeds its bound or a request failed.
 *
 * Steady state for Redis: results and stage checkpoints are kept `--ttl-seconds` (60 by
 * default, not the production hour), so what Redis holds stops growing long before the second
 * half starts; what still grows then is a leak, not retention. Every request has an image of
 * its own (no reuse of vision work).
 *
 *   pnpm bench:soak [--minutes 20] [--concurrency 8] [--sample-seconds 5] [--ttl-seconds 60]
 */
import { rm } from "node:fs/promises";
import { Redis } from "ioredis";
import { PixelLMClient } from "@pixellm/client";
import { RedisServer } from "@pixellm/launcher";
import { generatedBundle } from "./support/bundle";
import { benchDeployment } from "./support/deployment";
import { percentile } from "./support/closed-loop";
import { benchImage } from "./support/images";
import { leastSquaresSlope } from "./support/least-squares";
import { residentBytes } from "./support/process-memory";
import { printTable, writeResults } from "./support/report";
import { tempDir } from "./support/temp";

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!(value > 0)) throw new Error(`--${name} needs a positive number (got ${process.argv[at + 1]})`);
  return value;
}

const MINUTES = flag("minutes", 20);
const CONCURRENCY = flag("concurrency", 8);
const SAMPLE_MS = flag("sample-seconds", 5) * 1000;
const TTL_SECONDS = flag("ttl-seconds", 60);
const QUERY = "Segment the red circle and the blue box.";

/**
 * Growth allowed over the second half, MB per minute. A process at 1 MB/min gains 60 MB an hour:
 * past that a leak would take a gateway (1 GiB in the chart) down within a day, and below it
 * a V8 heap's garbage-collection sawtooth (a few MB) dominates a 10-minute fit. Redis holds only
 * TTL-bounded data here, so its bound is tighter.
 */
const BOUND_MB_PER_MIN = { process: 1.0, redis: 0.5 };

interface Series {
  readonly name: string;
  readonly bound: number;
  /** Minutes since the start, and megabytes. */
  readonly points: { x: number; y: number }[];
}

const work = await tempDir("soak-bench");
const redisDir = await tempDir("soak-redis");
const redis = await RedisServer.start({ dir: redisDir });
const redisClient = new Redis(redis.url, { maxRetriesPerRequest: 3 });
let exitCode = 0;
try {
  const bundle = await generatedBundle({ outDir: `${work}/model`, preset: "tiny", seed: 1 });
  const deployment = await benchDeployment(bundle, "soak", {
    redisUrl: redis.url,
    roleEnv: {
      gateway: {
        GATEWAY_RESULT_TTL_SECONDS: String(TTL_SECONDS),
        GATEWAY_CHECKPOINT_TTL_SECONDS: String(TTL_SECONDS),
      },
    },
  });
  const client = new PixelLMClient(deployment.gatewayAddresses[0]!);
  const series = new Map<string, Series>();
  const record = (name: string, bound: number, x: number, bytes: number) => {
    if (!series.has(name)) series.set(name, { name, bound, points: [] });
    series.get(name)!.points.push({ x, y: bytes / 2 ** 20 });
  };

  const started = Date.now();
  const until = started + MINUTES * 60_000;
  const minutes = () => (Date.now() - started) / 60_000;
  const sample = async () => {
    const x = minutes();
    for (const p of deployment.processes) {
      const rss = p.pid === undefined ? undefined : await residentBytes(p.pid);
      if (rss !== undefined) record(`${p.name} RSS`, BOUND_MB_PER_MIN.process, x, rss);
    }
    const redisRss = redis.pid === undefined ? undefined : await residentBytes(redis.pid);
    if (redisRss !== undefined) record("redis-server RSS", BOUND_MB_PER_MIN.process, x, redisRss);
    const info = await redisClient.info("memory");
    record("redis used_memory", BOUND_MB_PER_MIN.redis, x, Number(/^used_memory:(\d+)/m.exec(info)![1]));
  };
  const sampler = setInterval(() => void sample(), SAMPLE_MS);
  await sample();

  const latencies: { x: number; ms: number }[] = [];
  const failures = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (Date.now() < until) {
      const image = await benchImage(next++);
      const t = performance.now();
      try {
        await client.segment({ image, query: QUERY }, { timeoutMs: 120_000 });
        latencies.push({ x: minutes(), ms: performance.now() - t });
      } catch (error) {
        const reason = (error as Error).message.slice(0, 120);
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
      }
    }
  };
  console.log(`soak: ${MINUTES} min at concurrency ${CONCURRENCY}, sampling every ${SAMPLE_MS / 1000} s`);
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  clearInterval(sampler);
  await sample();
  client.close();
  await deployment.stop();

  const half = MINUTES / 2;
  const rows = [...series.values()].map((s) => {
    const late = s.points.filter((p) => p.x >= half);
    const slope = leastSquaresSlope(late);
    return {
      series: s.name,
      startMb: s.points[0]!.y,
      halfMb: late[0]!.y,
      endMb: s.points.at(-1)!.y,
      peakMb: Math.max(...s.points.map((p) => p.y)),
      slopeMbPerMin: slope,
      boundMbPerMin: s.bound,
      withinBound: slope <= s.bound,
      samples: s.points.length,
    };
  });
  const phase = (from: number, to: number) => {
    const ms = latencies.filter((l) => l.x >= from && l.x < to).map((l) => l.ms);
    return { requests: ms.length, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99) };
  };
  const requests = {
    completed: latencies.length,
    failed: [...failures.values()].reduce((a, b) => a + b, 0),
    failures: Object.fromEntries(failures),
    perSecond: latencies.length / (MINUTES * 60),
    firstHalf: phase(0, half),
    secondHalf: phase(half, Infinity),
  };

  console.log(
    `\n${requests.completed} requests (${requests.perSecond.toFixed(2)}/s), ${requests.failed} failed; p50 ${(requests.firstHalf.p50Ms / 1000).toFixed(2)} s → ${(requests.secondHalf.p50Ms / 1000).toFixed(2)} s, p99 ${(requests.firstHalf.p99Ms / 1000).toFixed(2)} s → ${(requests.secondHalf.p99Ms / 1000).toFixed(2)} s (first half → second half)`,
  );
  console.log(`memory slopes over the second half (${half.toFixed(1)}–${MINUTES} min):\n`);
  printTable(
    ["series", "start MB", "at half MB", "end MB", "peak MB", "slope MB/min", "bound MB/min", ""],
    rows.map((r) => [
      r.series,
      r.startMb.toFixed(1),
      r.halfMb.toFixed(1),
      r.endMb.toFixed(1),
      r.peakMb.toFixed(1),
      r.slopeMbPerMin.toFixed(3),
      r.boundMbPerMin.toFixed(2),
      r.withinBound ? "ok" : "EXCEEDED",
    ]),
  );
  await writeResults("soak", {
    minutes: MINUTES,
    concurrency: CONCURRENCY,
    sampleSeconds: SAMPLE_MS / 1000,
    ttlSeconds: TTL_SECONDS,
    model: "tiny",
    requests,
    series: rows,
    samples: Object.fromEntries([...series.values()].map((s) => [s.name, s.points])),
  });
  if (rows.some((r) => !r.withinBound) || requests.failed > 0) exitCode = 1;
} finally {
  redisClient.disconnect();
  await redis.stop();
  await rm(work, { recursive: true, force: true });
  await rm(redisDir, { recursive: true, force: true });
}
process.exit(exitCode);

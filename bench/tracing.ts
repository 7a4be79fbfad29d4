/**
 * Tracing overhead: the local distributed deployment (one replica per stage, one gateway, Redis)
 * at concurrency 16 with tracing off (PIXELLM_TRACES_EXPORTER=none) and on (otlp: every span
 * batched and exported over OTLP/HTTP to a sink in this process, as to a collector), in
 * alternating rounds on the same bundle and images. Reports requests/s, latency percentiles and
 * the throughput ratio on/off.
 *
 * Workload: the tiny model without a planted answer, 32 new tokens per request (so every request
 * makes decode-step spans), distinct images.
 *
 *   pnpm bench:tracing [--quick]    prints a table, writes bench/results/tracing.json
 *   --quick: one round per mode and fewer requests (default: three alternating rounds per mode)
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { rm } from "node:fs/promises";
import { PixelLMClient } from "@pixellm/client";
import { benchDeployment } from "./support/deployment";
import { generatedBundle } from "./support/bundle";
import { closedLoop, percentile, type LoopResult } from "./support/closed-loop";
import { benchImages } from "./support/images";
import { printTable, writeResults } from "./support/report";
import { tempDir } from "./support/temp";

const quick = process.argv.includes("--quick");
const CONCURRENCY = 16;
const REQUESTS = quick ? 32 : 64;
const ROUNDS = quick ? 1 : 3;
const MAX_NEW_TOKENS = 32;
const QUERY = "Describe the image and segment every object.";
type Mode = "off" | "on";

/** An OTLP/HTTP endpoint that accepts trace exports and counts what it received. */
async function startSink(): Promise<{
  url: string;
  exports: () => number;
  bytes: () => number;
  close(): void;
}> {
  let exports = 0;
  let bytes = 0;
  const server = http.createServer((request, response) => {
    request.on("data", (chunk: Buffer) => (bytes += chunk.length));
    request.on("end", () => {
      if (request.url === "/v1/traces") exports++;
      response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports: () => exports,
    bytes: () => bytes,
    close: () => server.close(),
  };
}

const work = await tempDir("tracing-bench");
const sink = await startSink();
try {
  const bundle = await generatedBundle({
    outDir: work,
    preset: "tiny",
    seed: 1,
    plantAnswer: false,
  });
  const images = await benchImages(REQUESTS * ROUNDS * 2 + 8);
  let next = 0;
  const nextImage = () => images[next++ % images.length]!;

  const measure = async (mode: Mode, round: number): Promise<LoopResult> => {
    const deployment = await benchDeployment(bundle, `tracing-${mode}-${round}`, {
      env: {
        PIXELLM_TRACES_EXPORTER: mode === "on" ? "otlp" : "none",
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      },
      roleEnv: { gateway: { GATEWAY_MAX_NEW_TOKENS: String(MAX_NEW_TOKENS) } },
    });
    const client = new PixelLMClient(deployment.gatewayAddresses[0]!);
    const send = () =>
      client.segment(
        { image: nextImage(), query: QUERY, maxNewTokens: MAX_NEW_TOKENS },
        { timeoutMs: 600_000 },
      );
    try {
      await Promise.all(Array.from({ length: 4 }, send)); // warm
      return await closedLoop(CONCURRENCY, REQUESTS, send);
    } finally {
      client.close();
      await deployment.stop(); // flushes the spans still batched
    }
  };

  const runs: { mode: Mode; round: number; result: LoopResult }[] = [];
  for (let round = 0; round < ROUNDS; round++)
    for (const mode of ["off", "on"] as const) runs.push({ mode, round, result: await measure(mode, round) });

  const byMode = (mode: Mode) => runs.filter((r) => r.mode === mode).map((r) => r.result);
  const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const summary = (mode: Mode) => {
    const results = byMode(mode);
    const latencies = results.flatMap((r) => r.latencies);
    return {
      throughput: mean(results.map((r) => r.throughput)),
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      p99Ms: percentile(latencies, 99),
    };
  };
  const off = summary("off");
  const on = summary("on");
  const ratio = on.throughput / off.throughput;
  console.log(
    `\ntiny model, ${MAX_NEW_TOKENS} new tokens per request, concurrency ${CONCURRENCY}, ${REQUESTS} requests per run, ${ROUNDS} round(s) per mode`,
  );
  printTable(
    ["run", "req/s", "p50", "p95", "p99"],
    [
      ...runs.map((r) => [
        `tracing ${r.mode} (round ${r.round + 1})`,
        r.result.throughput.toFixed(2),
        `${percentile(r.result.latencies, 50).toFixed(0)} ms`,
        `${percentile(r.result.latencies, 95).toFixed(0)} ms`,
        `${percentile(r.result.latencies, 99).toFixed(0)} ms`,
      ]),
      ...(["off", "on"] as const).map((mode) => {
        const s = mode === "off" ? off : on;
        return [
          `tracing ${mode} (mean)`,
          s.throughput.toFixed(2),
          `${s.p50Ms.toFixed(0)} ms`,
          `${s.p95Ms.toFixed(0)} ms`,
          `${s.p99Ms.toFixed(0)} ms`,
        ];
      }),
    ],
  );
  console.log(
    `throughput with tracing on / off: ${ratio.toFixed(3)} (${sink.exports()} OTLP exports, ${(sink.bytes() / 1024).toFixed(0)} KiB of spans received)`,
  );
  await writeResults("tracing", {
    preset: "tiny",
    maxNewTokens: MAX_NEW_TOKENS,
    concurrency: CONCURRENCY,
    requestsPerRun: REQUESTS,
    rounds: ROUNDS,
    runs: runs.map((r) => ({ mode: r.mode, round: r.round, ...r.result })),
    off,
    on,
    throughputRatio: ratio,
    otlpExports: sink.exports(),
    otlpBytes: sink.bytes(),
  });
} finally {
  sink.close();
  await rm(work, { recursive: true, force: true });
}

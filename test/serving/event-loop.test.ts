/**
 * The embedded server's event loop stays free while work is heavy: admitting 6300×6300 images
 * (decoded, resized and hashed in image worker threads) leaves health checks answering within
 * 50 ms. The client's timings include both processes' scheduling: they bound the server's delay
 * from above. On cores oversubscribed by other work (the suite runs test files in parallel on
 * two cores) any single check can wait out other threads' time slices: with four busy-looping
 * processes beside it, checks over 50 ms came at random points of the request, while a CPU
 * profile of the server showed no task on its event loop longer than 15 ms during admission.
 * So the every-check bound gets two more tries; a server that blocks its loop fails all three.
 * (The stage services' own lag under back-to-back batches is checked in
 * test/observability/deployment.test.ts.)
 */
import * as grpc from "@grpc/grpc-js";
import { PixelLMClient } from "@pixellm/client";
import { checkHealth } from "@pixellm/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedServer, startEmbeddedServer } from "../support/embedded-server";
import { shapesImage } from "../support/images";
import { makeTinyBundle } from "../support/tiny-bundle";

const HEALTH_LIMIT_MS = 50;

let server: EmbeddedServer;
let client: PixelLMClient;

beforeAll(async () => {
  const tiny = await makeTinyBundle();
  server = await startEmbeddedServer(tiny.bundleDir, { PIXELLM_LOG_LEVEL: "info" });
  client = new PixelLMClient(server.address);
}, 300_000);

afterAll(async () => {
  client?.close();
  await server?.stop();
});

/** Health checks on one kept connection, every few milliseconds until `until` settles: each one's time. */
async function probeWhile(until: Promise<unknown>): Promise<number[]> {
  const prober = new grpc.Client(server.address, grpc.credentials.createInsecure());
  const times: number[] = [];
  let done = false;
  void until.finally(() => (done = true));
  try {
    while (!done) {
      const started = performance.now();
      expect(await checkHealth(prober, "", { timeoutMs: 5_000 })).toBe("SERVING");
      times.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    prober.close();
  }
  return times;
}

/** p-th percentile (0–100) of `values`. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

describe("the embedded server's event loop", () => {
  it(
    `answers every health check within ${HEALTH_LIMIT_MS} ms while a 6300×6300 image is admitted`,
    { retry: 2 },
    async () => {
      const image = await shapesImage(6300, 6300, "png");
      const request = client.segment({ image, query: "Segment the ball." }, { timeoutMs: 240_000 });
      const times = await probeWhile(request);
      expect((await request).image).toMatchObject({ width: 6300, height: 6300 });
      console.log(
        `health checks during one 6300×6300 PNG (${image.byteLength} bytes): ${times.length} checks, p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`,
      );
      expect(times.length).toBeGreaterThan(10);
      expect(Math.max(...times)).toBeLessThan(HEALTH_LIMIT_MS);
    },
  );

  it(`answers health checks within ${HEALTH_LIMIT_MS} ms (p99) while six such images are admitted at once`, async () => {
    const image = await shapesImage(6300, 6300, "png", 1);
    const requests = Promise.all(
      Array.from({ length: 6 }, () =>
        client.segment({ image, query: "Segment the ball." }, { timeoutMs: 240_000 }),
      ),
    );
    const times = await probeWhile(requests);
    await requests;
    console.log(
      `health checks during six 6300×6300 PNGs: ${times.length} checks, p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`,
    );
    expect(percentile(times, 99)).toBeLessThan(HEALTH_LIMIT_MS);
  });
});

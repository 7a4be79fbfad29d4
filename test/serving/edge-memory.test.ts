/**
 * The hostile requests against `pixellm serve` as a separate process, measured in that
 * process (peak RSS: VmHWM, read from /proc):
 * - 16 MB and 48 MB of `answer_ids` (which once took it from 0.65 to 1.87 GB and froze it for
 *   9 s) are refused with the right status within a bounded time, the peak grows by less than a
 *   stated bound, and a valid request straight afterwards succeeds;
 * - six 6300×6300 PNGs at once (which once pushed the peak to 2.3 GB), with GATEWAY_MAX_DECODES
 *   at 1, are decoded one at a time: the peak grows by less than a bound that six at once exceed.
 */
import { readFile } from "node:fs/promises";
import * as grpc from "@grpc/grpc-js";
import { services } from "@pixellm/api";
import { PixelLMClient } from "@pixellm/client";
import { unaryCall } from "@pixellm/service-kit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type EmbeddedServer, startEmbeddedServer } from "../support/embedded-server";
import { shapesImage } from "../support/images";
import { makeTinyBundle } from "../support/tiny-bundle";

/** Growth of the server's peak RSS allowed for all the hostile requests together. */
const PEAK_GROWTH_LIMIT_MB = 150;
/** The server decodes one image at a time. */
const MAX_DECODES = 1;
/**
 * Six 40 MP images, one decoded at a time: each decode holds 119 MB of RGB pixels plus sharp's
 * buffers. Measured on a loaded two-core machine, the peak grew by 332 MB one at a time, 575 MB
 * two at a time and 818 MB with all six at once (GATEWAY_MAX_DECODES 6): the bound lies between.
 */
const SIX_IMAGES_PEAK_GROWTH_LIMIT_MB = 550;
/** Each refusal, on a loaded two-core machine (decoding 16 MB of ids once took 9 s). */
const REFUSAL_LIMIT_MS = 5_000;

let server: EmbeddedServer;
let client: PixelLMClient;
let raw: grpc.Client;
let image: Uint8Array;

beforeAll(async () => {
  const tiny = await makeTinyBundle();
  server = await startEmbeddedServer(tiny.bundleDir, { GATEWAY_MAX_DECODES: String(MAX_DECODES) });
  client = new PixelLMClient(server.address);
  raw = new grpc.Client(server.address, grpc.credentials.createInsecure(), {
    "grpc.max_send_message_length": -1,
  });
  image = await shapesImage(320, 240);
}, 300_000);

afterAll(async () => {
  raw?.close();
  client?.close();
  await server?.stop();
});

/** A /proc/<pid>/status memory field in MB (VmRSS: now, VmHWM: the peak so far). */
async function memoryMb(field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await readFile(`/proc/${server.pid}/status`, "utf8");
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1];
  if (!kb) throw new Error(`no ${field} in /proc/${server.pid}/status`);
  return Number(kb) / 1024;
}

/** A SegmentRequest with `count` one-byte answer ids appended as a packed field 6. */
function segmentWithAnswerIds(count: number): Buffer {
  const head = services().PixelLM.service.Segment.requestSerialize({ image, query: "Segment the red ball." });
  const length: number[] = [];
  for (let v = count; ; v = Math.floor(v / 0x80)) {
    if (v < 0x80) {
      length.push(v);
      break;
    }
    length.push((v % 0x80) | 0x80);
  }
  return Buffer.concat([head, Buffer.from([6 * 8 + 2, ...length]), Buffer.alloc(count, 1)]);
}

/** The status a Segment with these bytes ends with, and how long it took. */
async function refuse(bytes: Buffer): Promise<{ error: grpc.ServiceError; ms: number }> {
  const started = performance.now();
  const error = await unaryCall<Buffer>((callback) =>
    raw.makeUnaryRequest(
      "/pixellm.v1.PixelLM/Segment",
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      { deadline: Date.now() + 60_000 },
      callback,
    ),
  ).then(
    () => expect.fail("the hostile request succeeded"),
    (e: grpc.ServiceError) => e,
  );
  return { error, ms: performance.now() - started };
}

const valid = async () => {
  const response = await client.segment({ image, query: "Segment the red ball." }, { timeoutMs: 120_000 });
  expect(response.image).toMatchObject({ width: 320, height: 240 });
};

it(`refuses 16 MB and 48 MB of answer_ids with the server's peak RSS up by less than ${PEAK_GROWTH_LIMIT_MB} MB`, async () => {
  await valid(); // the peak of ordinary work is the baseline
  const peakBefore = await memoryMb("VmHWM");
  const sixteen = await refuse(segmentWithAnswerIds(16 * 2 ** 20));
  expect(sixteen.error.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(sixteen.error.details).toMatch(/^Segment request: answer_ids has more than \d+ elements/);
  const fortyEight = await refuse(segmentWithAnswerIds(48 * 2 ** 20));
  expect(fortyEight.error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  expect(fortyEight.error.details).toMatch(/^Received message larger than max/);
  const peakAfter = await memoryMb("VmHWM");
  console.log(
    `16 MB answer_ids: ${sixteen.error.code} in ${sixteen.ms.toFixed(0)} ms; 48 MB: ${fortyEight.error.code} in ${fortyEight.ms.toFixed(0)} ms; ` +
      `server peak RSS ${peakBefore.toFixed(0)} -> ${peakAfter.toFixed(0)} MB (now ${(await memoryMb("VmRSS")).toFixed(0)} MB)`,
  );
  expect(sixteen.ms).toBeLessThan(REFUSAL_LIMIT_MS);
  expect(fortyEight.ms).toBeLessThan(REFUSAL_LIMIT_MS);
  expect(peakAfter - peakBefore).toBeLessThan(PEAK_GROWTH_LIMIT_MB);
  await valid();
});

it(`decodes six 6300×6300 PNGs one at a time, the server's peak RSS up by less than ${SIX_IMAGES_PEAK_GROWTH_LIMIT_MB} MB`, async () => {
  const large = await shapesImage(6300, 6300, "png", 1);
  const peakBefore = await memoryMb("VmHWM");
  const started = performance.now();
  const responses = await Promise.all(
    Array.from({ length: 6 }, () =>
      client.segment({ image: large, query: "Segment the ball." }, { timeoutMs: 240_000 }),
    ),
  );
  const peakAfter = await memoryMb("VmHWM");
  console.log(
    `six 6300×6300 PNGs (${large.byteLength} bytes each) in ${((performance.now() - started) / 1000).toFixed(1)} s: ` +
      `server peak RSS ${peakBefore.toFixed(0)} -> ${peakAfter.toFixed(0)} MB`,
  );
  for (const response of responses) expect(response.image).toMatchObject({ width: 6300, height: 6300 });
  expect(peakAfter - peakBefore).toBeLessThan(SIX_IMAGES_PEAK_GROWTH_LIMIT_MB);
}, 300_000);

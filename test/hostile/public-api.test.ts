/**
 * The hostile-input suite against the public API: `pixellm serve` (the embedded gateway) as a
 * child process with API keys set, attacked case by case from the table below; after each case
 * a valid Segment must succeed. Harness, bounds and how to add a case: ./harness.ts.
 *
 * Bounds: DEFAULT_TIME_MS (3 s) per case unless the case says otherwise; peak RSS of the server
 * during a case under SERVER_RSS_MB (the chart gives a gateway 1 GiB; the embedded server also
 * holds the three stages' ONNX sessions, all tiny here).
 */
import * as grpc from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { loadBundle } from "@pixellm/bundle";
import { gatewayConfig } from "@pixellm/gateway";
import sharp from "sharp";
import { afterAll, beforeAll } from "vitest";
import { type EmbeddedServer, startEmbeddedServer } from "../support/embedded-server";
import { shapesImage } from "../support/images";
import { makeTinyBundle } from "../support/tiny-bundle";
import { HostileChannel, serializeRequest } from "./grpc-calls";
import { type HostileCase, type HostileEnvironment, describeHostileCases } from "./harness";

const API_KEY = "hostile-suite-key";
const SERVER_RSS_MB = 1024;
/** The server's defaults the cases probe (services/gateway/src/config.ts). */
const LIMITS = gatewayConfig({ PIXELLM_BUNDLE: "unused" });

interface Auth {
  /** null: no key at all. Default: the valid key. */
  readonly key?: string | null;
  readonly header?: "authorization" | "x-api-key";
}

interface PublicApi {
  segment(request: object, auth?: Auth): Promise<unknown>;
  segmentStream(request: object, auth?: Auth): Promise<unknown>;
  submitJob(request: object, auth?: Auth): Promise<unknown>;
  getJob(jobId: string, auth?: Auth): Promise<unknown>;
  cancelJob(jobId: string, auth?: Auth): Promise<unknown>;
  watchJob(jobId: string, auth?: Auth): Promise<unknown>;
  /** Bytes as they are to a method path. */
  raw(path: string, bytes: Buffer, auth?: Auth): Promise<unknown>;
  /** A Segment whose own deadline is `ms` from now (not the case's). */
  segmentWithin(ms: number, request: object): Promise<unknown>;
}

function metadata(auth: Auth = {}): grpc.Metadata {
  const m = new grpc.Metadata();
  const key = auth.key === undefined ? API_KEY : auth.key;
  if (key === null) return m;
  if (auth.header === "x-api-key") m.set("x-api-key", key);
  else m.set("authorization", `Bearer ${key}`);
  return m;
}

let server: EmbeddedServer;
let channel: HostileChannel;
const fixtures: { png: Buffer; jpeg: Buffer; vocab: number; bomb: Buffer } = {
  png: Buffer.alloc(0),
  jpeg: Buffer.alloc(0),
  vocab: 0,
  /** 7000×7000 grey PNG: 49 MP (over the 40 MP limit) in about 140 KB. */
  bomb: Buffer.alloc(0),
};

/** A valid request with some fields changed. */
function segment(overrides: object = {}): object {
  return { image: fixtures.png, query: "Segment the ball.", maxNewTokens: 4, ...overrides };
}

/** The valid PNG with its IHDR claiming another size (the pixel data stays 64×48). */
function pngDeclaring(width: number, height: number): Buffer {
  const png = Buffer.from(fixtures.png);
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  return png;
}

const cases: HostileCase<PublicApi>[] = [
  // --- authentication ---
  {
    name: "Segment with no API key",
    target: "public",
    send: (api) => api.segment(segment(), { key: null }),
    expect: status.UNAUTHENTICATED,
  },
  {
    name: "Segment with a wrong API key",
    target: "public",
    send: (api) => api.segment(segment(), { key: "not-the-key" }),
    expect: status.UNAUTHENTICATED,
  },
  {
    name: "Segment with a wrong x-api-key",
    target: "public",
    send: (api) => api.segment(segment(), { key: "x", header: "x-api-key" }),
    expect: status.UNAUTHENTICATED,
  },
  {
    name: "Segment with an empty bearer token",
    target: "public",
    send: (api) => api.segment(segment(), { key: "" }),
    expect: status.UNAUTHENTICATED,
  },
  {
    name: "Segment with the key plus one character",
    target: "public",
    send: (api) => api.segment(segment(), { key: `${API_KEY}x` }),
    expect: status.UNAUTHENTICATED,
  },
  {
    name: "SegmentStream with no API key",
    target: "public",
    send: (api) => api.segmentStream(segment(), { key: null }),
    expect: status.UNAUTHENTICATED,
  },
  {
    name: "SubmitJob with no API key",
    target: "public",
    send: (api) => api.submitJob({ request: segment() }, { key: null }),
    expect: status.UNAUTHENTICATED,
  },
  {
    name: "GetJob with no API key",
    target: "public",
    send: (api) => api.getJob("any", { key: null }),
    expect: status.UNAUTHENTICATED,
  },
  {
    name: "CancelJob with a wrong API key",
    target: "public",
    send: (api) => api.cancelJob("any", { key: "nope" }),
    expect: status.UNAUTHENTICATED,
  },
  {
    name: "WatchJob with no API key",
    target: "public",
    send: (api) => api.watchJob("any", { key: null }),
    expect: status.UNAUTHENTICATED,
  },
  // --- malformed images ---
  {
    name: "empty image",
    target: "public",
    send: (api) => api.segment(segment({ image: Buffer.alloc(0) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "three random bytes as the image",
    target: "public",
    send: (api) => api.segment(segment({ image: Buffer.of(1, 2, 3) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "PNG data behind GIF magic",
    target: "public",
    send: (api) =>
      api.segment(segment({ image: Buffer.concat([Buffer.from("GIF89a"), fixtures.png.subarray(6)]) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "truncated PNG",
    target: "public",
    send: (api) => api.segment(segment({ image: fixtures.png.subarray(0, fixtures.png.length - 40) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "PNG cut after its signature",
    target: "public",
    send: (api) => api.segment(segment({ image: fixtures.png.subarray(0, 8) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "truncated JPEG",
    target: "public",
    send: (api) => api.segment(segment({ image: fixtures.jpeg.subarray(0, 300) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "PNG header declaring 0×0",
    target: "public",
    send: (api) => api.segment(segment({ image: pngDeclaring(0, 0) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "PNG header declaring 100000×100000 in a tiny file",
    target: "public",
    send: (api) => api.segment(segment({ image: pngDeclaring(100_000, 100_000) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "PNG header declaring 2^32-1 × 2^32-1",
    target: "public",
    send: (api) => api.segment(segment({ image: pngDeclaring(2 ** 32 - 1, 2 ** 32 - 1) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "decompression bomb: 7000×7000 PNG of 140 KB",
    target: "public",
    send: (api) => api.segment(segment({ image: fixtures.bomb })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "1×2000 sliver (shorter side rounds to 0)",
    target: "public",
    send: async (api) =>
      api.segment(
        segment({
          image: await sharp({ create: { width: 1, height: 2000, channels: 3, background: "#888" } })
            .png()
            .toBuffer(),
        }),
      ),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "1×1 PNG is a valid image",
    target: "public",
    send: async (api) =>
      api.segment(
        segment({
          image: await sharp({ create: { width: 1, height: 1, channels: 3, background: "#888" } })
            .png()
            .toBuffer(),
        }),
      ),
    expect: status.OK,
    timeMs: 20_000,
  },
  {
    name: "SVG document as the image",
    target: "public",
    send: (api) =>
      api.segment(
        segment({ image: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>') }),
      ),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "bad image through SegmentStream",
    target: "public",
    send: (api) => api.segmentStream(segment({ image: Buffer.of(0x89, 0x50) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "bad image through SubmitJob",
    target: "public",
    send: (api) => api.submitJob({ request: segment({ image: fixtures.png.subarray(0, 30) }) }),
    expect: status.INVALID_ARGUMENT,
  },
  // --- options ---
  {
    name: "priority 10",
    target: "public",
    send: (api) => api.segment(segment({ priority: 10 })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "priority -1",
    target: "public",
    send: (api) => api.segment(segment({ priority: -1 })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "priority -2^31",
    target: "public",
    send: (api) => api.segment(segment({ priority: -(2 ** 31) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "max_new_tokens -5",
    target: "public",
    send: (api) => api.segment(segment({ maxNewTokens: -5 })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "max_new_tokens over the server's limit",
    target: "public",
    send: (api) => api.segment(segment({ maxNewTokens: LIMITS.maxNewTokens + 1 })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "max_new_tokens 2^31-1",
    target: "public",
    send: (api) => api.segment(segment({ maxNewTokens: 2 ** 31 - 1 })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "temperature -1",
    target: "public",
    send: (api) => api.segment(segment({ sampling: { temperature: -1 } })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "temperature NaN",
    target: "public",
    send: (api) => api.segment(segment({ sampling: { temperature: Number.NaN } })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "temperature +Infinity",
    target: "public",
    send: (api) => api.segment(segment({ sampling: { temperature: Infinity } })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "top_p 1.5",
    target: "public",
    send: (api) => api.segment(segment({ sampling: { temperature: 0.7, topP: 1.5 } })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "top_p NaN",
    target: "public",
    send: (api) => api.segment(segment({ sampling: { temperature: 0.7, topP: Number.NaN } })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "top_p negative",
    target: "public",
    send: (api) => api.segment(segment({ sampling: { temperature: 0.7, topP: -0.5 } })),
    expect: status.INVALID_ARGUMENT,
  },
  // --- queries ---
  {
    name: "empty query",
    target: "public",
    send: (api) => api.segment(segment({ query: "" })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "whitespace-only query",
    target: "public",
    send: (api) => api.segment(segment({ query: " \n\t " })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "query one character over the limit",
    target: "public",
    send: (api) => api.segment(segment({ query: "a".repeat(LIMITS.maxQueryChars + 1) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "query of 1 MB",
    target: "public",
    send: (api) => api.segment(segment({ query: "ab ".repeat(350_000) })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "query smuggling the <image> token",
    target: "public",
    send: (api) => api.segment(segment({ query: "What is <image> here?" })),
    expect: status.INVALID_ARGUMENT,
  },
  // --- answer ids ---
  {
    name: "negative answer id",
    target: "public",
    send: (api) => api.segment(segment({ answerIds: [1, -1] })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "answer id equal to the vocabulary size",
    target: "public",
    send: (api) => api.segment(segment({ answerIds: [fixtures.vocab] })),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "answer id 2^53-1",
    target: "public",
    send: (api) => api.segment(segment({ answerIds: [2 ** 53 - 1] })),
    expect: status.INVALID_ARGUMENT,
  },
  // --- jobs ---
  {
    name: "SubmitJob without a request",
    target: "public",
    send: (api) => api.submitJob({ idempotencyKey: "k" }),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "SubmitJob with a deadline in the past",
    target: "public",
    send: (api) => api.submitJob({ request: segment(), deadlineUnixMs: Date.now() - 60_000 }),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "Segment with a 1 ms call deadline",
    target: "public",
    send: (api) => api.segmentWithin(1, segment()),
    expect: status.DEADLINE_EXCEEDED,
  },
  {
    name: "GetJob of an unknown job",
    target: "public",
    send: (api) => api.getJob("no-such-job"),
    expect: status.NOT_FOUND,
  },
  {
    name: "GetJob with an empty id",
    target: "public",
    send: (api) => api.getJob(""),
    expect: status.NOT_FOUND,
  },
  {
    name: "GetJob of a 64 KB id",
    target: "public",
    send: (api) => api.getJob("j".repeat(65_536)),
    expect: status.NOT_FOUND,
  },
  {
    name: "CancelJob of an unknown job",
    target: "public",
    send: (api) => api.cancelJob("no-such-job"),
    expect: status.NOT_FOUND,
  },
  {
    name: "WatchJob of an unknown job",
    target: "public",
    send: (api) => api.watchJob("no-such-job"),
    expect: status.NOT_FOUND,
  },
  // --- the wire ---
  {
    name: "garbage bytes as a SegmentRequest",
    target: "public",
    send: (api) => api.raw("/pixellm.v1.PixelLM/Segment", Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x07])),
    expect: status.INTERNAL,
  },
  {
    name: "SegmentRequest cut in the middle of its image",
    target: "public",
    send: (api) =>
      api.raw(
        "/pixellm.v1.PixelLM/Segment",
        serializeRequest("PixelLM", "Segment", segment()).subarray(0, 100),
      ),
    expect: status.INTERNAL,
  },
  {
    name: "unknown field numbers are skipped",
    target: "public",
    send: (api) =>
      api.raw(
        "/pixellm.v1.PixelLM/Segment",
        Buffer.concat([serializeRequest("PixelLM", "Segment", segment()), Buffer.from([0xf8, 0x06, 0x2a])]),
      ),
    expect: status.OK,
    timeMs: 20_000,
  },
  {
    name: "unknown method",
    target: "public",
    send: (api) => api.raw("/pixellm.v1.PixelLM/DropTables", Buffer.alloc(0)),
    expect: status.UNIMPLEMENTED,
  },
];

beforeAll(async () => {
  const tiny = await makeTinyBundle();
  fixtures.vocab = (await loadBundle(tiny.bundleDir, "size")).manifest.config.vocab_size;
  fixtures.png = Buffer.from(await shapesImage(64, 48));
  fixtures.jpeg = Buffer.from(await shapesImage(200, 150, "jpeg"));
  fixtures.bomb = await sharp({ create: { width: 7000, height: 7000, channels: 3, background: "#000" } })
    .greyscale()
    .png({ compressionLevel: 9 })
    .toBuffer();
  server = await startEmbeddedServer(tiny.bundleDir, {
    PIXELLM_API_KEYS: API_KEY,
    PIXELLM_INTRA_OP_THREADS: "1",
  });
  channel = new HostileChannel(server.address);
}, 240_000);

afterAll(async () => {
  channel?.close();
  await server?.stop();
});

function environment(): HostileEnvironment<PublicApi> {
  const api = (deadline: Date): PublicApi => {
    const options = (auth?: Auth) => ({ metadata: metadata(auth), deadline });
    return {
      segment: (request, auth) => channel.unary("PixelLM", "Segment", request, options(auth)),
      segmentStream: (request, auth) => channel.stream("PixelLM", "SegmentStream", request, options(auth)),
      submitJob: (request, auth) => channel.unary("PixelLM", "SubmitJob", request, options(auth)),
      getJob: (jobId, auth) => channel.unary("PixelLM", "GetJob", { jobId }, options(auth)),
      cancelJob: (jobId, auth) => channel.unary("PixelLM", "CancelJob", { jobId }, options(auth)),
      watchJob: (jobId, auth) => channel.stream("PixelLM", "WatchJob", { jobId }, options(auth)),
      raw: (path, bytes, auth) => channel.rawUnary(path, bytes, options(auth)),
      segmentWithin: (ms, request) =>
        channel.unary("PixelLM", "Segment", request, {
          metadata: metadata(),
          deadline: new Date(Date.now() + ms),
        }),
    };
  };
  return {
    api,
    targets: {
      public: {
        pid: server.pid,
        rssMb: SERVER_RSS_MB,
        valid: async (deadline) => {
          await channel.unary("PixelLM", "Segment", segment(), { metadata: metadata(), deadline });
        },
      },
    },
  };
}

describeHostileCases("hostile input: public API (pixellm serve with API keys)", cases, environment);

/**
 * The hostile-input suite against the public API: `pixellm serve` (the embedded gateway) as a
 * child process serving TLS (as a public port should; docs/tls.md), with plain API keys (PIXELLM_API_KEYS: the `default` tenant) and a tenants file
 * (docs/tenants.md), attacked case by case from the table below; after each case a valid Segment
 * (with the plain key) must succeed. Harness, bounds and how to add a case: ./harness.ts.
 *
 * Tenants: `acme` (no `evaluate`, priority at most ACME_MAX_PRIORITY), `evaluators` (`evaluate`),
 * `narrow` (NARROW_CONCURRENT_JOBS job at a time, for the concurrency limit alone, so the other
 * tenants' cases never wait on it).
 *
 * Bounds: DEFAULT_TIME_MS (3 s) per case unless the case says otherwise; peak RSS of the server
 * during a case under SERVER_RSS_MB (the chart gives a gateway 1 GiB; the embedded server also
 * holds the three stages' ONNX sessions, all tiny here), or SMALL_REFUSAL_RSS_MB for requests that
 * must be refused on their size or key before they are decoded. The server runs with
 * GATEWAY_MAX_DECODES=1, what a 1 GiB pod needs: two 40 MP decodes at once would not fit with the
 * server's own ~500 MB (docs/limits.md measures the growth: 332 MB one at a time, 575 MB two).
 */
import { createHash, randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { loadBundle } from "@pixellm/bundle";
import { gatewayConfig } from "@pixellm/gateway";
import sharp from "sharp";
import { afterAll, beforeAll } from "vitest";
import { type EmbeddedServer, startEmbeddedServer } from "../support/embedded-server";
import { shapesImage } from "../support/images";
import { makeTestCertificates } from "../support/test-certificates";
import { makeTinyBundle, tempDir } from "../support/tiny-bundle";
import { HostileChannel, lengthDelimitedField, serializeRequest } from "./grpc-calls";
import { type HostileCase, type HostileEnvironment, describeHostileCases } from "./harness";

const API_KEY = "hostile-suite-key";
const ACME_KEY = "hostile-acme-key";
const EVAL_KEY = "hostile-evaluators-key";
const NARROW_KEY = "hostile-narrow-key";
const ACME_MAX_PRIORITY = 5;
const NARROW_CONCURRENT_JOBS = 1;
/** Waves of 16 submissions at once in the concurrent-job case (see there). */
const CONCURRENCY_WAVES = 3;
const SERVER_RSS_MB = 1024;
/**
 * Requests refused on their size or key, before decoding: the server's ~500 MB plus the one
 * message received (at most the 20 MiB method limit) and its scan. Before issue 11's limits,
 * 16 MB of answer_ids added 1.2 GB.
 */
const SMALL_REFUSAL_RSS_MB = 800;
/** The server's defaults the cases probe (services/gateway/src/config.ts). */
const LIMITS = gatewayConfig({ PIXELLM_BUNDLE: "unused" });

const sha256 = (key: string) => createHash("sha256").update(key).digest("hex");

/** The tenants file (docs/tenants.md); keys filed as their SHA-256, as `pixellm tenants hash-key` prints it. */
const TENANTS = {
  tenants: [
    {
      name: "acme",
      keySha256: [sha256(ACME_KEY)],
      permissions: [],
      maxConcurrentJobs: 20,
      queueShare: 0.5,
      maxPriority: ACME_MAX_PRIORITY,
    },
    {
      name: "evaluators",
      keySha256: [sha256(EVAL_KEY)],
      permissions: ["evaluate"],
      maxConcurrentJobs: 20,
      queueShare: 0.5,
    },
    {
      name: "narrow",
      keySha256: [sha256(NARROW_KEY)],
      permissions: [],
      maxConcurrentJobs: NARROW_CONCURRENT_JOBS,
      queueShare: 0.1,
    },
  ],
};

interface Job {
  readonly jobId: string;
}

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
  /** A Segment in plaintext to the server's TLS port, on a connection of its own. */
  plaintextSegment(request: object): Promise<unknown>;
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
const fixtures = {
  png: Buffer.alloc(0) as Buffer,
  jpeg: Buffer.alloc(0) as Buffer,
  vocab: 0,
  /** The model's max_position_embeddings (the cap on answer_ids). */
  positions: 0,
  /** The SEG ids of one codebook group: one target's answer ids. */
  seg: [] as readonly number[],
  /** 7000×7000 grey PNG: 49 MP (over the 40 MP limit) in about 140 KB. */
  bomb: Buffer.alloc(0) as Buffer,
  /** 2000×2000 PNG, a few KB. */
  fourMegapixels: Buffer.alloc(0) as Buffer,
  /** 6300×6300 RGB PNG (39.7 MP, under the 40 MP limit), about 120 KB. */
  large: Buffer.alloc(0) as Buffer,
  /** A question under GATEWAY_MAX_QUERY_CHARS whose ids and the image's exceed the positions. */
  longPrompt: "",
  /** A job of tenant acme, for the isolation cases. */
  acmeJobId: "",
};

/** `groups` whole codebook groups: the answer ids of that many targets. */
const targetsOf = (groups: number) => Array.from({ length: groups }, () => [...fixtures.seg]).flat();

/** `count` one-byte answer ids as a packed field 6 of SegmentRequest. */
const packedAnswerIds = (count: number) => lengthDelimitedField(6, Buffer.alloc(count, 1));

/** A SubmitJobRequest whose request carries `count` one-byte answer ids. */
function submitJobWithAnswerIds(count: number): Buffer {
  const request = Buffer.concat([serializeRequest("PixelLM", "Segment", segment()), packedAnswerIds(count)]);
  return lengthDelimitedField(1, request);
}

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
  // Job ids are format-checked before Redis is read (docs/tenants.md): not a UUID or idem- + 32 hex
  // is INVALID_ARGUMENT; a well-formed id of no job (or of another tenant's job) is NOT_FOUND.
  {
    name: "GetJob of a malformed id",
    target: "public",
    send: (api) => api.getJob("no-such-job"),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "GetJob with an empty id",
    target: "public",
    send: (api) => api.getJob(""),
    expect: status.INVALID_ARGUMENT,
  },
  {
    // Over GetJob's 4 KiB byte limit (docs/limits.md): refused on its wire size, before decoding.
    name: "GetJob of a 64 KB id",
    target: "public",
    send: (api) => api.getJob("j".repeat(65_536)),
    expect: status.RESOURCE_EXHAUSTED,
    details: /over its 4096-byte limit/,
  },
  {
    name: "CancelJob of a malformed id",
    target: "public",
    send: (api) => api.cancelJob("no-such-job"),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "WatchJob of a malformed id",
    target: "public",
    send: (api) => api.watchJob("no-such-job"),
    expect: status.INVALID_ARGUMENT,
  },
  // --- tenants: job ids ---
  {
    name: "GetJob of a well-formed UUID of no job",
    target: "public",
    send: (api) => api.getJob(randomUUID()),
    expect: status.NOT_FOUND,
  },
  {
    name: "CancelJob of a well-formed idem- id of no job",
    target: "public",
    send: (api) => api.cancelJob(`idem-${"0".repeat(32)}`),
    expect: status.NOT_FOUND,
  },
  {
    // BullMQ's own key names once showed up as phantom jobs (issue 11).
    name: 'GetJob("meta")',
    target: "public",
    send: (api) => api.getJob("meta"),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: 'GetJob("../x")',
    target: "public",
    send: (api) => api.getJob("../x"),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "CancelJob of idem- and 32 non-hex characters",
    target: "public",
    send: (api) => api.cancelJob(`idem-${"g".repeat(32)}`),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "WatchJob of a UUID with a trailing newline",
    target: "public",
    send: (api) => api.watchJob(`${randomUUID()}\n`),
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "CancelJob of an 8 KB id (over the 4 KiB limit)",
    target: "public",
    send: (api) => api.cancelJob("c".repeat(8_192)),
    expect: status.RESOURCE_EXHAUSTED,
    details: /over its 4096-byte limit/,
  },
  {
    name: "WatchJob of an 8 KB id (over the 4 KiB limit)",
    target: "public",
    send: (api) => api.watchJob("w".repeat(8_192)),
    expect: status.RESOURCE_EXHAUSTED,
    details: /over its 4096-byte limit/,
  },
  // --- tenants: isolation (tenant A's job, submitted in beforeAll, asked for by tenant B) ---
  {
    name: "tenant B GetJob of tenant A's job",
    target: "public",
    send: (api) => api.getJob(fixtures.acmeJobId, { key: EVAL_KEY }),
    expect: status.NOT_FOUND,
  },
  {
    name: "tenant B WatchJob of tenant A's job",
    target: "public",
    send: (api) => api.watchJob(fixtures.acmeJobId, { key: EVAL_KEY }),
    expect: status.NOT_FOUND,
  },
  {
    name: "tenant B CancelJob of tenant A's job (A's job is untouched)",
    target: "public",
    // On a fresh job of A's, so that it is most likely still queued or running when B cancels.
    send: async (api) => {
      const job = (await api.submitJob({ request: segment({ maxNewTokens: 64 }) }, { key: ACME_KEY })) as Job;
      const refusal = await api.cancelJob(job.jobId, { key: EVAL_KEY }).then(
        () => undefined,
        (error: Error) => error,
      );
      const view = (await api.getJob(job.jobId, { key: ACME_KEY })) as { state: string };
      if (view.state === "JOB_STATE_CANCELLED") throw new Error("tenant B cancelled tenant A's job");
      if (refusal) throw refusal;
    },
    expect: status.NOT_FOUND,
  },
  {
    name: "the plain-key tenant GetJob of tenant A's job",
    target: "public",
    send: (api) => api.getJob(fixtures.acmeJobId),
    expect: status.NOT_FOUND,
  },
  // --- tenants: idempotency keys ---
  {
    name: "idempotency key reused with a different image",
    target: "public",
    send: async (api) => {
      const key = `hostile-${randomUUID()}`;
      await api.submitJob({ request: segment(), idempotencyKey: key }, { key: ACME_KEY });
      return api.submitJob(
        { request: segment({ image: fixtures.jpeg }), idempotencyKey: key },
        { key: ACME_KEY },
      );
    },
    expect: status.ALREADY_EXISTS,
    timeMs: 6_000,
  },
  {
    name: "idempotency key reused with a different question",
    target: "public",
    send: async (api) => {
      const key = `hostile-${randomUUID()}`;
      await api.submitJob({ request: segment(), idempotencyKey: key }, { key: ACME_KEY });
      return api.submitJob(
        { request: segment({ query: "Segment the box." }), idempotencyKey: key },
        { key: ACME_KEY },
      );
    },
    expect: status.ALREADY_EXISTS,
    timeMs: 6_000,
  },
  {
    name: "idempotency key reused with the same request returns the same job",
    target: "public",
    send: async (api) => {
      const key = `hostile-${randomUUID()}`;
      const first = (await api.submitJob(
        { request: segment(), idempotencyKey: key },
        { key: ACME_KEY },
      )) as Job;
      const again = (await api.submitJob(
        { request: segment(), idempotencyKey: key },
        { key: ACME_KEY },
      )) as Job;
      if (again.jobId !== first.jobId)
        throw new Error(`a retry made another job: ${first.jobId} then ${again.jobId}`);
    },
    expect: status.OK,
    timeMs: 6_000,
  },
  {
    name: "the same idempotency key from two tenants makes two jobs",
    target: "public",
    send: async (api) => {
      const key = `hostile-${randomUUID()}`;
      const a = (await api.submitJob({ request: segment(), idempotencyKey: key }, { key: ACME_KEY })) as Job;
      // Another request from B under A's key: not A's job, not ALREADY_EXISTS.
      const b = (await api.submitJob(
        { request: segment({ image: fixtures.jpeg }), idempotencyKey: key },
        { key: EVAL_KEY },
      )) as Job;
      if (a.jobId === b.jobId) throw new Error(`two tenants share job ${a.jobId}`);
    },
    expect: status.OK,
    timeMs: 6_000,
  },
  {
    name: "idempotency key of 257 characters",
    target: "public",
    send: (api) => api.submitJob({ request: segment(), idempotencyKey: "k".repeat(257) }, { key: ACME_KEY }),
    expect: status.INVALID_ARGUMENT,
    details: /256/,
  },
  // --- tenants: permissions and limits ---
  {
    name: "answer_ids from a tenant without evaluate",
    target: "public",
    send: (api) => api.segment(segment({ answerIds: targetsOf(1) }), { key: ACME_KEY }),
    expect: status.PERMISSION_DENIED,
    details: /evaluate/,
  },
  {
    name: "answer_ids from a tenant without evaluate, through SubmitJob",
    target: "public",
    send: (api) => api.submitJob({ request: segment({ answerIds: targetsOf(1) }) }, { key: ACME_KEY }),
    expect: status.PERMISSION_DENIED,
    details: /evaluate/,
  },
  {
    name: "answer_ids from the tenant with evaluate are served",
    target: "public",
    send: (api) => api.segment(segment({ answerIds: targetsOf(1) }), { key: EVAL_KEY }),
    expect: status.OK,
    timeMs: 20_000,
  },
  {
    name: "priority above the tenant's cap",
    target: "public",
    send: (api) => api.segment(segment({ priority: ACME_MAX_PRIORITY + 1 }), { key: ACME_KEY }),
    expect: status.PERMISSION_DENIED,
    details: /above tenant acme's maximum \(5\)/,
  },
  {
    name: "priority at the tenant's cap is served",
    target: "public",
    send: (api) => api.segment(segment({ priority: ACME_MAX_PRIORITY }), { key: ACME_KEY }),
    expect: status.OK,
    timeMs: 20_000,
  },
  {
    name: "tenant over its concurrent-job limit",
    target: "public",
    // Waves of submissions at once: those past the limit are refused while the first are queued
    // or running. A tiny-model job can finish in ~15 ms, so one wave may slip through one by one;
    // a limit that does not hold lets every wave through (OK, and the case fails).
    send: async (api) => {
      for (let wave = 0; wave < CONCURRENCY_WAVES; wave++) {
        const outcomes = await Promise.allSettled(
          Array.from({ length: 16 }, () =>
            api.submitJob({ request: segment({ maxNewTokens: 64 }) }, { key: NARROW_KEY }),
          ),
        );
        const refused = outcomes.find((o) => o.status === "rejected");
        if (refused) throw refused.reason;
      }
    },
    expect: status.RESOURCE_EXHAUSTED,
    details: /its limit \(maxConcurrentJobs 1\)/,
  },
  {
    name: "the plain PIXELLM_API_KEYS key sent as x-api-key is served",
    target: "public",
    send: (api) => api.segment(segment(), { header: "x-api-key" }),
    expect: status.OK,
    timeMs: 20_000,
  },
  {
    // The `default` tenant of plain keys has every permission (docs/tenants.md).
    name: "answer_ids with the plain PIXELLM_API_KEYS key are served",
    target: "public",
    send: (api) => api.segment(segment({ answerIds: targetsOf(1) })),
    expect: status.OK,
    timeMs: 20_000,
  },
  {
    name: "a tenant key sent as x-api-key is served",
    target: "public",
    send: (api) => api.segment(segment(), { key: ACME_KEY, header: "x-api-key" }),
    expect: status.OK,
    timeMs: 20_000,
  },
  {
    name: "a tenant key's SHA-256 (as filed) sent as the key",
    target: "public",
    send: (api) => api.segment(segment(), { key: sha256(ACME_KEY) }),
    expect: status.UNAUTHENTICATED,
  },
  // --- request budget ---
  {
    name: "question within the character limit but over the positions budget",
    target: "public",
    send: (api) => api.segment(segment({ query: fixtures.longPrompt })),
    expect: status.INVALID_ARGUMENT,
    details: /the prompt needs \d+ positions/,
  },
  {
    name: "answer_ids that fit the field cap but not the context with the prompt",
    target: "public",
    send: (api) =>
      api.segment(segment({ answerIds: Array.from({ length: fixtures.positions - 10 }, () => 100) })),
    expect: status.INVALID_ARGUMENT,
    details: /answer ids\); the model has \d+/,
  },
  {
    // Issue 11: 250 forced targets on a 4 MP PNG took 30.8 s and 2.24 GB. Now refused once the
    // image is decoded (its size known), before any stage runs.
    name: "250 forced targets on a 4 MP PNG (over GATEWAY_MAX_MASK_PIXELS)",
    target: "public",
    send: (api) => api.segment(segment({ image: fixtures.fourMegapixels, answerIds: targetsOf(250) })),
    expect: status.INVALID_ARGUMENT,
    details: /answer_ids name 250 targets: .*GATEWAY_MAX_MASK_PIXELS/,
    timeMs: 5_000,
  },
  // --- sizes before decoding (docs/limits.md) ---
  {
    // Issue 11: this took a server from 0.65 to 1.87 GB and 9.2 s before the key was checked first.
    name: "16 MB of answer_ids through SubmitJob with no API key",
    target: "public",
    send: (api) =>
      api.raw("/pixellm.v1.PixelLM/SubmitJob", submitJobWithAnswerIds(16 * 2 ** 20), { key: null }),
    expect: status.UNAUTHENTICATED,
    rssMb: SMALL_REFUSAL_RSS_MB,
  },
  {
    name: "16 MB of answer_ids through SubmitJob with a valid key",
    target: "public",
    send: (api) => api.raw("/pixellm.v1.PixelLM/SubmitJob", submitJobWithAnswerIds(16 * 2 ** 20)),
    expect: status.INVALID_ARGUMENT,
    details: /answer_ids has more than \d+ elements/,
    rssMb: SMALL_REFUSAL_RSS_MB,
  },
  {
    name: "48 MB of answer_ids through Segment with a valid key",
    target: "public",
    send: (api) =>
      api.raw(
        "/pixellm.v1.PixelLM/Segment",
        Buffer.concat([serializeRequest("PixelLM", "Segment", segment()), packedAnswerIds(48 * 2 ** 20)]),
      ),
    expect: status.RESOURCE_EXHAUSTED,
    details: /larger than max/,
    rssMb: SMALL_REFUSAL_RSS_MB,
  },
  {
    name: "answer_ids one over the positions cap",
    target: "public",
    send: (api) =>
      api.segment(segment({ answerIds: Array.from({ length: fixtures.positions + 1 }, () => 100) })),
    expect: status.INVALID_ARGUMENT,
    details: /answer_ids has more than \d+ elements/,
  },
  {
    name: "image one byte over GATEWAY_MAX_IMAGE_BYTES",
    target: "public",
    send: (api) => api.segment(segment({ image: Buffer.alloc(LIMITS.maxImageBytes + 1, 7) })),
    expect: status.INVALID_ARGUMENT,
    details: /image/,
    rssMb: SMALL_REFUSAL_RSS_MB,
  },
  {
    name: "Segment of 24 MB (over the method's byte limit)",
    target: "public",
    send: (api) =>
      api.raw("/pixellm.v1.PixelLM/Segment", lengthDelimitedField(1, Buffer.alloc(24 * 2 ** 20, 7))),
    expect: status.RESOURCE_EXHAUSTED,
    details: /larger than max/,
    rssMb: SMALL_REFUSAL_RSS_MB,
  },
  {
    // The key is checked when the headers arrive, the server-wide size from the message's length
    // prefix: either answers before the message is buffered (so far it has been the key).
    name: "Segment of 24 MB with no API key",
    target: "public",
    send: (api) =>
      api.raw("/pixellm.v1.PixelLM/Segment", lengthDelimitedField(1, Buffer.alloc(24 * 2 ** 20, 7)), {
        key: null,
      }),
    expect: [status.UNAUTHENTICATED, status.RESOURCE_EXHAUSTED],
    rssMb: SMALL_REFUSAL_RSS_MB,
  },
  // --- the wire ---
  {
    name: "garbage bytes as a SegmentRequest",
    target: "public",
    send: (api) => api.raw("/pixellm.v1.PixelLM/Segment", Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x07])),
    // Undecodable bytes are the caller's fault (docs/limits.md); grpc-js alone said INTERNAL.
    expect: status.INVALID_ARGUMENT,
  },
  {
    name: "SegmentRequest cut in the middle of its image",
    target: "public",
    send: (api) =>
      api.raw(
        "/pixellm.v1.PixelLM/Segment",
        serializeRequest("PixelLM", "Segment", segment()).subarray(0, 100),
      ),
    expect: status.INVALID_ARGUMENT,
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
    name: "a plaintext call to the TLS port",
    target: "public",
    send: (api) => api.plaintextSegment(segment()),
    expect: status.UNAVAILABLE,
  },
  {
    name: "unknown method",
    target: "public",
    send: (api) => api.raw("/pixellm.v1.PixelLM/DropTables", Buffer.alloc(0)),
    expect: status.UNIMPLEMENTED,
  },
  // --- last: what leaves the most memory behind (libvips and the allocator keep some) ---
  {
    // Issue 11: six of these at once pushed the peak to 2.3 GB. The decode gate
    // (GATEWAY_MAX_DECODES=1 here, as for a 1 GiB pod) decodes them one at a time: about 120 MB
    // of RGB each. Each names 6 forced targets (6 × 39.7 MP, over GATEWAY_MAX_MASK_PIXELS), so it
    // is refused right after its decode and no stage runs: what is measured is the decoding.
    // Checked against the gate: with GATEWAY_MAX_DECODES=6 this case's peak was 1174 MB (over the
    // bound), with 1 it was 711 to 725 MB.
    name: "six 6300×6300 PNGs at once (the decode gate)",
    target: "public",
    send: (api) =>
      Promise.all(
        Array.from({ length: 6 }, () =>
          api.segment(segment({ image: fixtures.large, answerIds: targetsOf(6) })),
        ),
      ),
    expect: status.INVALID_ARGUMENT,
    details: /answer_ids name 6 targets: 6 masks of 6300x6300/,
    timeMs: 40_000,
  },
];

beforeAll(async () => {
  const tiny = await makeTinyBundle();
  const { manifest } = await loadBundle(tiny.bundleDir, "size");
  fixtures.vocab = manifest.config.vocab_size;
  fixtures.positions = manifest.config.max_position_embeddings;
  fixtures.seg = manifest.tokens.seg;
  fixtures.png = Buffer.from(await shapesImage(64, 48));
  fixtures.jpeg = Buffer.from(await shapesImage(200, 150, "jpeg"));
  const grey = (side: number) =>
    sharp({ create: { width: side, height: side, channels: 3, background: "#000" } })
      .greyscale()
      .png({ compressionLevel: 9 })
      .toBuffer();
  fixtures.bomb = await grey(7000);
  fixtures.fourMegapixels = await grey(2000);
  // In colour, as issue 11's were: decoded to 3 bytes a pixel (119 MB), not 1 as grey would be.
  fixtures.large = await sharp({ create: { width: 6300, height: 6300, channels: 3, background: "#c83c28" } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  // One-letter words: about a token each, so LIMITS.maxQueryChars characters are far more ids
  // than the context has room for next to the image (checked by the case's status).
  fixtures.longPrompt = "a ".repeat(Math.floor(LIMITS.maxQueryChars / 2)).trim();
  const tenantsFile = path.join(await tempDir("hostile-tenants"), "tenants.json");
  await writeFile(tenantsFile, JSON.stringify(TENANTS));
  const certs = await makeTestCertificates();
  server = await startEmbeddedServer(
    tiny.bundleDir,
    {
      PIXELLM_API_KEYS: API_KEY,
      PIXELLM_TENANTS_FILE: tenantsFile,
      PIXELLM_INTRA_OP_THREADS: "1",
      GATEWAY_MAX_DECODES: "1",
    },
    240_000,
    ["--tls-cert", certs.server.cert, "--tls-key", certs.server.key],
  );
  channel = new HostileChannel(server.address, grpc.credentials.createSsl(await readFile(certs.ca)));
  const submitted = await channel.unary<Job>(
    "PixelLM",
    "SubmitJob",
    { request: segment() },
    { metadata: metadata({ key: ACME_KEY }), deadline: new Date(Date.now() + 30_000) },
  );
  fixtures.acmeJobId = submitted.jobId;
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
      plaintextSegment: async (request) => {
        const plaintext = new HostileChannel(server.address);
        try {
          return await plaintext.unary("PixelLM", "Segment", request, options());
        } finally {
          plaintext.close();
        }
      },
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

describeHostileCases(
  "hostile input: public API (pixellm serve with TLS, API keys and tenants)",
  cases,
  environment,
);

/**
 * A request's cost is counted before work is done: positions against the LLM's context at
 * admission (before the vision stage is called), forced targets × image pixels against
 * GATEWAY_MAX_MASK_PIXELS, and sequence lengths against the LLM's KV budget (the in-process one's,
 * or the remote replicas' from their Info).
 * Real stages (in this process, on loopback gRPC), a gateway in Redis mode, the tiny bundle.
 */
import * as grpc from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { type StageInfo__Output, services } from "@pixellm/api";
import { loadBundle } from "@pixellm/bundle";
import { PixelLMClient } from "@pixellm/client";
import { type RunningGateway, gatewayConfig, startGateway } from "@pixellm/gateway";
import { llmConfig, llmStage } from "@pixellm/llm";
import { decoderConfig, decoderStage } from "@pixellm/pixel-decoder";
import { type RunningStage, startStage, unaryCall } from "@pixellm/service-kit";
import { visionConfig, visionStage } from "@pixellm/vision-encoder";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure } from "../support/call-failure";
import { REDIS_URL } from "../support/deployment";
import { startEmbeddedServer } from "../support/embedded-server";
import { shapesImage } from "../support/images";
import { type TinyBundle, makeTinyBundle } from "../support/tiny-bundle";

/** The LLM's KV budget per sequence in this test (the smallest LLM_KV_BUDGET_TOKENS allows). */
const KV_BUDGET = 1024;
/** Two 500x500 masks fit, three do not. */
const MAX_MASK_PIXELS = 600_000;

let tiny: TinyBundle;
let stages: RunningStage[];
let gateway: RunningGateway;
let client: PixelLMClient;
let seg: readonly number[];
let addresses: { vision: string; llm: string; decoder: string };

const common = { PIXELLM_LOG_LEVEL: "error", PIXELLM_WARM_UP: "false", PIXELLM_INTRA_OP_THREADS: "1" };

beforeAll(async () => {
  tiny = await makeTinyBundle();
  seg = (await loadBundle(tiny.bundleDir, "size")).manifest.tokens.seg;
  const env = { PIXELLM_BUNDLE: tiny.bundleDir, ...common };
  stages = await Promise.all([
    startStage(visionStage(visionConfig({ ...env, VISION_HOST: "127.0.0.1", VISION_PORT: "0" }))),
    startStage(
      llmStage(
        llmConfig({
          ...env,
          LLM_HOST: "127.0.0.1",
          LLM_PORT: "0",
          LLM_KV_BUDGET_TOKENS: String(KV_BUDGET),
        }),
      ),
    ),
    startStage(decoderStage(decoderConfig({ ...env, DECODER_HOST: "127.0.0.1", DECODER_PORT: "0" }))),
  ]);
  const [vision, llm, decoder] = stages.map((s) => `127.0.0.1:${s.port}`);
  addresses = { vision: vision!, llm: llm!, decoder: decoder! };
  gateway = await startBudgetGateway("main", MAX_MASK_PIXELS);
  client = new PixelLMClient(`127.0.0.1:${gateway.port}`);
}, 240_000);

/** A gateway in Redis mode over this file's stages, with a key prefix of its own. */
function startBudgetGateway(name: string, maxMaskPixels: number): Promise<RunningGateway> {
  return startGateway(
    gatewayConfig({
      PIXELLM_BUNDLE: tiny.bundleDir,
      ...common,
      GATEWAY_PORT: "0",
      GATEWAY_HOST: "127.0.0.1",
      REDIS_URL,
      // The machine's Redis runs without AOF: the start-up check warns instead of refusing.
      GATEWAY_REDIS_CHECK: "warn",
      PIXELLM_KEY_PREFIX: `test-budget-${name}-${process.pid}-${Date.now()}`,
      VISION_ADDRESSES: addresses.vision,
      LLM_ADDRESSES: addresses.llm,
      DECODER_ADDRESSES: addresses.decoder,
      GATEWAY_MAX_QUERY_CHARS: "40000",
      GATEWAY_MAX_MASK_PIXELS: String(maxMaskPixels),
      GATEWAY_RETRY_BACKOFF_MS: "100",
      GATEWAY_HEALTH_INTERVAL_MS: "300",
    }),
  );
}

afterAll(async () => {
  client?.close();
  await gateway?.stop();
  await Promise.all((stages ?? []).map((s) => s.stop()));
});

/** Items a stage has served so far (its own Info). */
async function servedItems(stage: "VisionEncoder" | "PixelDecoder"): Promise<number> {
  const address = stage === "VisionEncoder" ? addresses.vision : addresses.decoder;
  const info = new (services()[stage])(address, grpc.credentials.createInsecure());
  try {
    const answer = await unaryCall<StageInfo__Output>((done) => info.Info({}, done));
    return Number(answer.stats?.items ?? 0);
  } finally {
    info.close();
  }
}

const visionItems = () => servedItems("VisionEncoder");

/** `groups` whole codebook groups: the answer ids of that many targets. */
const targetsOf = (groups: number) => Array.from({ length: groups }, () => [...seg]).flat();

describe("per-request budget at admission", () => {
  it("refuses a prompt longer than the model's context before the vision stage is called", async () => {
    const before = await visionItems();
    const image = await shapesImage(200, 150);
    const query = Array.from({ length: 3000 }, () => "cat").join(" ");
    const error = await failure(client.segment({ image, query }, { timeoutMs: 30_000 }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(
      /the prompt needs \d+ positions \(\d+ prompt ids, 256 for the image\); the model has 2048/,
    );
    expect(await visionItems()).toBe(before);
  });

  it("counts teacher-forced answer ids in the positions", async () => {
    const before = await visionItems();
    const image = await shapesImage(200, 150);
    const answerIds = Array.from({ length: 1900 }, () => 100);
    const error = await failure(client.segment({ image, query: "Where?", answerIds }, { timeoutMs: 30_000 }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(
      /1900 answer ids\); the model has 2048: shorten the question or the answer ids/,
    );
    expect(await visionItems()).toBe(before);
  });

  it("refuses forced answer ids that name more targets than the mask budget allows at the image's size", async () => {
    const before = await visionItems();
    const decodedBefore = await servedItems("PixelDecoder");
    const image = await shapesImage(500, 500);
    const error = await failure(
      client.segment({ image, query: "Segment them.", answerIds: targetsOf(3) }, { timeoutMs: 30_000 }),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain(
      `answer_ids name 3 targets: 3 masks of 500x500 are 750000 pixels, over the ${MAX_MASK_PIXELS}`,
    );
    expect(error.details).toContain("at this image size 2 fit");
    expect(await visionItems()).toBe(before);
    // Two targets fit, and are made.
    const served = await client.segment(
      { image, query: "Segment them.", answerIds: targetsOf(2) },
      { timeoutMs: 60_000 },
    );
    expect(served.targets).toHaveLength(2);
    expect(served.targets[0]!.mask?.size).toEqual([500, 500]);
    expect(await visionItems(), "the vision counter counts what it encodes").toBe(before + 1);
    expect(await servedItems("PixelDecoder"), "the decoder counter counts what it decodes").toBe(
      decodedBefore + 1,
    );
  });

  it("refuses a request beyond the remote LLM's KV budget (from its Info) at admission: no job, no vision pass", async () => {
    // Before, the gateway did not know a remote LLM's budget: the job was queued, the image
    // encoded, and the LLM refused it.
    const before = await visionItems();
    const image = await shapesImage(210, 150);
    const error = await failure(
      client.submitJob(
        { image, query: "Where is the ball?", maxNewTokens: 1000 },
        { deadlineUnixMs: Date.now() + 60_000 },
      ),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain(`the llm's KV budget is ${KV_BUDGET} (LLM_KV_BUDGET_TOKENS)`);
    expect(await visionItems()).toBe(before);
    // A request within the budget succeeds straight afterwards.
    const served = await client.segment(
      { image, query: "Where is the ball?", maxNewTokens: 8 },
      { timeoutMs: 60_000 },
    );
    expect(served.outputIds.length).toBeGreaterThan(0);
  });
});

describe("generated answers beyond the mask budget", () => {
  it("fail INVALID_ARGUMENT before the decoder is called", { timeout: 120_000 }, async () => {
    // One pixel: any target is over. The tiny model answers this question with a codebook group
    // (test/engine/golden.test.ts).
    const strict = await startBudgetGateway("strict", 1);
    const strictClient = new PixelLMClient(`127.0.0.1:${strict.port}`);
    try {
      const decoded = await servedItems("PixelDecoder");
      const image = await shapesImage(640, 427, "png", 1);
      const error = await failure(
        strictClient.segment({ image, query: "Please segment the red ball." }, { timeoutMs: 60_000 }),
      );
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toMatch(
        /^the answer names \d+ targets: \d+ masks of 640x427 are \d+ pixels, over the 1 a request may make \(GATEWAY_MAX_MASK_PIXELS\); at this image size 0 fit/,
      );
      expect(await servedItems("PixelDecoder")).toBe(decoded);
    } finally {
      strictClient.close();
      await strict.stop();
    }
  });
});

describe("the embedded gateway, which knows its in-process LLM's KV budget", () => {
  it("refuses a request beyond the budget at admission: no job is made", { timeout: 300_000 }, async () => {
    const server = await startEmbeddedServer(tiny.bundleDir, {
      LLM_KV_BUDGET_TOKENS: String(KV_BUDGET),
      PIXELLM_LOG_LEVEL: "error",
    });
    const embedded = new PixelLMClient(server.address);
    try {
      const image = await shapesImage(200, 150);
      const error = await failure(
        embedded.submitJob({ image, query: "Where is the ball?", maxNewTokens: 1000 }),
      );
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toContain(`the llm's KV budget is ${KV_BUDGET} (LLM_KV_BUDGET_TOKENS)`);
      const job = await embedded.submitJob({ image, query: "Where is the ball?", maxNewTokens: 8 });
      expect(job.jobId).not.toBe("");
    } finally {
      embedded.close();
      await server.stop();
    }
  });
});

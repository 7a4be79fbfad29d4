/**
 * What the gateway learns of its remote LLM replicas' KV budgets (their Info, over real gRPC on
 * loopback): nothing before the first health checks, then the smallest budget among them, since
 * a request must fit whichever replica it lands on; a replica that stops answering keeps the
 * budget it last said (it may come back with it).
 */
import * as grpc from "@grpc/grpc-js";
import { type LLMGeneratorClient, services } from "@pixellm/api";
import { llmConfig, llmStage } from "@pixellm/llm";
import { type RunningStage, createLogger, startStage } from "@pixellm/service-kit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeTinyBundle } from "../../../test/support/tiny-bundle";
import { LlmKvBudgets } from "../src/stages/llm-kv-budgets";
import { ReplicaPool } from "../src/stages/replica-pool";

const BUDGETS = [3072, 1536];
let stages: RunningStage[];
let pool: ReplicaPool<LLMGeneratorClient>;
let budgets: LlmKvBudgets;
const stopped = new Set<RunningStage>();

beforeAll(async () => {
  const { bundleDir } = await makeTinyBundle();
  stages = await Promise.all(
    BUDGETS.map((budget) =>
      startStage(
        llmStage(
          llmConfig({
            PIXELLM_BUNDLE: bundleDir,
            PIXELLM_LOG_LEVEL: "error",
            PIXELLM_WARM_UP: "false",
            LLM_HOST: "127.0.0.1",
            LLM_PORT: "0",
            LLM_KV_BUDGET_TOKENS: String(budget),
          }),
        ),
      ),
    ),
  );
  pool = new ReplicaPool(
    stages.map((s) => `127.0.0.1:${s.port}`),
    (address, options) => new (services().LLMGenerator)(address, grpc.credentials.createInsecure(), options),
    {
      stage: "llm",
      serviceName: "pixellm.v1.LLMGenerator",
      healthIntervalMs: 200,
      attempts: 2,
      channelOptions: {},
      credentials: grpc.credentials.createInsecure(),
      logger: createLogger({ service: "test", level: "error" }),
    },
  );
  budgets = new LlmKvBudgets(pool, 200, createLogger({ service: "test", level: "error" }));
}, 240_000);

afterAll(async () => {
  budgets?.close();
  pool?.close();
  await Promise.all((stages ?? []).filter((s) => !stopped.has(s)).map((s) => s.stop()));
});

it("knows nothing before a replica answers, then the smallest budget, and keeps it when that replica goes", async () => {
  expect(budgets.current()).toBeUndefined(); // not started: no replica has said
  await pool.start();
  await budgets.start();
  expect(budgets.current()).toBe(Math.min(...BUDGETS));

  stopped.add(stages[1]!);
  await stages[1]!.stop(); // the smaller one
  await expect.poll(() => pool.healthy().length, { timeout: 10_000 }).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 500)); // a few more refreshes
  expect(budgets.current()).toBe(Math.min(...BUDGETS));
});

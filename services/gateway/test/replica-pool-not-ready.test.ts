/**
 * A stage replica that is still loading its model answers FAILED_PRECONDITION. The pool falls
 * back to such a replica when no healthy one is left (a restarted replica while its sibling is
 * down); before, that status failed the job for good although another replica, or the same one
 * a moment later, could serve it. Now it moves on as after UNAVAILABLE, and a call no replica
 * could take ends UNAVAILABLE (retryable). Replicas cooling down after a failure are still tried
 * when no other is left. A replica refusing as busy (a full queue, with a retry pushback) is
 * passed over for another too, and when all are busy the call ends with that refusal, which the
 * caller waits out (waiting-while-busy.ts). Other failures still end the call at once.
 */
import * as grpc from "@grpc/grpc-js";
import { retryAfterOf, serviceError } from "@pixellm/api";
import { EngineError } from "@pixellm/errors";
import { createLogger } from "@pixellm/service-kit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ReplicaPool } from "../src/stages/replica-pool";

const ADDRESSES = ["127.0.0.1:1", "127.0.0.1:2"]; // nothing listens: health checks fail fast
let pool: ReplicaPool<grpc.Client>;

beforeAll(async () => {
  pool = new ReplicaPool(
    ADDRESSES,
    (address, options) => new grpc.Client(address, grpc.credentials.createInsecure(), options),
    {
      stage: "llm",
      serviceName: "pixellm.v1.LLMGenerator",
      healthIntervalMs: 60_000,
      attempts: 3,
      channelOptions: {},
      credentials: grpc.credentials.createInsecure(),
      logger: createLogger({ service: "test", level: "error" }),
    },
  );
  await pool.start();
});

afterAll(() => pool.close());

const context = () => ({
  requestId: "r",
  deadline: Date.now() + 10_000,
  signal: new AbortController().signal,
});
const busy = () =>
  new EngineError("resource_exhausted", "the stage queue is full (64 waiting); retry later", {
    retryAfterMs: 100,
  });
const loading = () =>
  serviceError(grpc.status.FAILED_PRECONDITION, "the model is still loading; retry shortly");

it("moves on from a replica whose model is still loading", async () => {
  const tried: string[] = [];
  const answer = await pool.call((_client, address) => {
    tried.push(address);
    return tried.length === 1 ? Promise.reject(loading()) : Promise.resolve(`served by ${address}`);
  }, context());
  expect(tried).toHaveLength(2);
  expect(answer).toBe(`served by ${tried[1]}`);
});

it("ends UNAVAILABLE when every replica is still loading", async () => {
  const tried: string[] = [];
  const failing = (_client: grpc.Client, address: string) => {
    tried.push(address);
    return Promise.reject(loading());
  };
  await expect(pool.call(failing, context())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  expect(tried.sort()).toEqual([...ADDRESSES].sort());
});

it("tries replicas that are cooling down when no other is left, rather than none", async () => {
  // Both replicas failed a moment ago (the test before): both cool down for 2 s. Before, the
  // next call failed at once, "0 tried", and so did the job's retries within those 2 s.
  const answer = await pool.call((_client, address) => Promise.resolve(`served by ${address}`), context());
  expect(answer).toMatch(/^served by 127\.0\.0\.1:[12]$/);
});

it("moves on from a busy replica to one with room", async () => {
  const tried: string[] = [];
  const answer = await pool.call((_client, address) => {
    tried.push(address);
    return tried.length === 1 ? Promise.reject(busy()) : Promise.resolve(`served by ${address}`);
  }, context());
  expect(new Set(tried).size).toBe(2);
  expect(answer).toBe(`served by ${tried[1]}`);
});

it("ends with the busy refusal, pushback kept, when no replica has room", async () => {
  const tried: string[] = [];
  const outcome = await pool
    .call((_client, address) => {
      tried.push(address);
      return Promise.reject(tried.length === 1 ? loading() : busy());
    }, context())
    .catch((error: unknown) => error);
  expect(outcome).toMatchObject({ code: "resource_exhausted" });
  expect(retryAfterOf(outcome)).toBe(100);
  expect(tried.sort()).toEqual([...ADDRESSES].sort());
});

it("still ends the call at once on a failure of the request itself", async () => {
  let calls = 0;
  const invalid = () => {
    calls++;
    return Promise.reject(serviceError(grpc.status.INVALID_ARGUMENT, "bad tensor"));
  };
  await expect(pool.call(invalid, context())).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  expect(calls).toBe(1);
});

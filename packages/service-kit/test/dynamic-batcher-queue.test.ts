/**
 * The batcher's bounded queue: beyond `maxQueue` waiting items a submission is refused at once
 * as load (RESOURCE_EXHAUSTED with a retry pushback, which the gateway waits out), counted, and
 * the items already queued are unaffected; on the wire the pushback is gRPC's own trailer.
 */
import { Metadata, status } from "@grpc/grpc-js";
import { retryAfterOf, statusOf, toServiceError } from "@pixellm/api";
import { EngineError, QUEUE_FULL_RETRY_AFTER_MS } from "@pixellm/errors";
import { expect, it } from "vitest";
import { DynamicBatcher } from "../src/dynamic-batcher";

it("refuses the item over maxQueue as load, and runs the ones it holds", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const batcher = new DynamicBatcher<number, number>(
    { maxBatchSize: 1, maxDelayMs: 0, maxQueue: 2 },
    async (items) => {
      await gate;
      return items.map((x) => x * 10);
    },
  );
  const running = batcher.submit(1);
  await new Promise((resolve) => setImmediate(resolve)); // the first batch has started
  const queued = [batcher.submit(2), batcher.submit(3)];
  const refused = await batcher.submit(4).catch((error: unknown) => error);

  expect(refused).toBeInstanceOf(EngineError);
  expect(statusOf(refused)).toEqual({
    code: status.RESOURCE_EXHAUSTED,
    message: "the stage queue is full (2 waiting); retry later",
  });
  expect(retryAfterOf(refused)).toBe(QUEUE_FULL_RETRY_AFTER_MS);
  expect(batcher.stats()).toMatchObject({ rejected: 1, queued: 2, running: 1 });

  release();
  expect(await Promise.all([running, ...queued])).toEqual([10, 20, 30]);
});

it("sends the pushback as grpc-retry-pushback-ms, and only for load refusals", () => {
  const sent = toServiceError(new EngineError("resource_exhausted", "full", { retryAfterMs: 250 }));
  expect(sent.code).toBe(status.RESOURCE_EXHAUSTED);
  expect(sent.metadata.get("grpc-retry-pushback-ms")).toEqual(["250"]);
  expect(retryAfterOf(sent)).toBe(250);

  // A refusal of the request itself (e.g. too large) carries none: waiting would not cure it.
  const tooLarge = toServiceError(new EngineError("resource_exhausted", "message larger than max"));
  expect(tooLarge.metadata.get("grpc-retry-pushback-ms")).toEqual([]);
  expect(retryAfterOf(tooLarge)).toBeUndefined();

  // A malformed trailer from elsewhere is no pushback.
  const odd = Object.assign(new Error("x"), {
    code: status.RESOURCE_EXHAUSTED,
    details: "x",
    metadata: new Metadata(),
  });
  odd.metadata.set("grpc-retry-pushback-ms", "soon");
  expect(retryAfterOf(odd)).toBeUndefined();
});

/**
 * Stage calls that wait while a stage is busy. A stage whose bounded queue is full refuses at
 * once with RESOURCE_EXHAUSTED and a retry pushback (its queue's contract); the replica pool has
 * already tried the other replicas. That refusal is about load, not the job, so the job waits
 * (from the pushback, doubling, jittered so that gateways do not return in step) and calls again
 * while its deadline allows. Failing it instead spent the job's few queue attempts in about a
 * second of overload: under a burst with one replica of each stage lost, 62 jobs of a 200-job
 * run failed in CI although each had minutes left (test/serving/faults.test.ts).
 * The gateway's own job queue is where load is refused to clients; a job admitted there is
 * carried through the stages.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { retryAfterOf, statusOf } from "@pixellm/api";
import { EngineError } from "@pixellm/errors";
import type { StageCallContext, StageClients } from "./stage-clients";

/** The longest pause between calls to a busy stage, however often it refused. */
export const MAX_BUSY_PAUSE_MS = 2000;

export function waitingWhileBusy(stages: StageClients): StageClients {
  return {
    kvBudgetTokens: () => stages.kvBudgetTokens(),
    encode: (image, context) => whileBusy("vision", context, () => stages.encode(image, context)),
    generate: (input, context, onTokens) =>
      whileBusy("llm", context, () => stages.generate(input, context, onTokens)),
    decode: (input, context) => whileBusy("decoder", context, () => stages.decode(input, context)),
    close: () => stages.close(),
  };
}

/** Calls `call` until it is not refused as busy, or the job is cancelled or out of time. */
export async function whileBusy<T>(
  stage: string,
  context: StageCallContext,
  call: () => Promise<T>,
): Promise<T> {
  for (let refusals = 0; ; refusals++) {
    try {
      return await call();
    } catch (error) {
      const retryAfterMs = retryAfterOf(error);
      if (retryAfterMs === undefined) throw error;
      const backoff = Math.min(MAX_BUSY_PAUSE_MS, Math.max(1, retryAfterMs) * 2 ** Math.min(refusals, 16));
      const pause = Math.min(backoff * (0.5 + Math.random() / 2), context.deadline - Date.now());
      if (pause <= 0)
        throw new EngineError(
          "deadline_exceeded",
          `the deadline passed while the ${stage} stage was busy (${statusOf(error).message})`,
        );
      try {
        await sleep(pause, undefined, { signal: context.signal });
      } catch {
        throw new EngineError("cancelled", "the request was cancelled");
      }
    }
  }
}

/**
 * Questions answered through a gateway's async jobs, as a batch client would: SubmitJob, then
 * WatchJob until the job ends. A watch that ends early (a gateway restarting) falls back to
 * polling GetJob, so an accepted question is never lost.
 */
import { status } from "@grpc/grpc-js";
import { type Job__Output, isServiceError } from "@pixellm/api";
import { PixelLMClient } from "@pixellm/client";
import { EVAL_MAX_NEW_TOKENS } from "@pixellm/muse";
import type { QuestionSegmenter } from "./question-segmenter";

const TERMINAL = new Set(["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"]);
const POLL_MS = 500;
const PROBE_TIMEOUT_MS = 10_000;
/**
 * Each question's deadline. An evaluation wants every answer, however long the queue: the
 * gateway's default (GATEWAY_DEFAULT_TIMEOUT_MS, 2 minutes) is meant for interactive requests.
 */
const JOB_DEADLINE_MS = 10 * 60_000;

/** A question whose job did not succeed; the message is the job's error. */
export class JobFailedError extends Error {
  override readonly name = "JobFailedError";
}

/**
 * A segmenter for the gateway at `address`, once it answers: an unreachable gateway or a refused
 * API key stops the evaluation at once (the service error says which), not question by question.
 */
export async function gatewaySegmenter(address: string, apiKey?: string): Promise<QuestionSegmenter> {
  const client = new PixelLMClient(address, apiKey ? { apiKey } : {});
  try {
    await client.getJob("pixellm-eval-probe", { timeoutMs: PROBE_TIMEOUT_MS });
  } catch (error) {
    // NOT_FOUND is the answer of a gateway that works.
    if (!isServiceError(error) || error.code !== status.NOT_FOUND) {
      client.close();
      throw error;
    }
  }
  return {
    description: `gateway ${address} (async jobs)`,
    async segment(image, query) {
      const submitted = await client.submitJob(
        { image, query, maxNewTokens: EVAL_MAX_NEW_TOKENS },
        { deadlineUnixMs: Date.now() + JOB_DEADLINE_MS },
      );
      const job = await finished(client, submitted);
      const result = job.result;
      if (job.state !== "JOB_STATE_SUCCEEDED" || !result) {
        throw new JobFailedError(`job ${job.jobId} ${job.state}: ${job.error?.message ?? "no result"}`);
      }
      return {
        text: result.text,
        image: { width: result.image?.width ?? 0, height: result.image?.height ?? 0 },
        masks: [...result.targets]
          .sort((a, b) => a.index - b.index)
          .map((t) => ({ size: t.mask?.size ?? [], counts: t.mask?.counts ?? "" })),
      };
    },
    close: () => Promise.resolve(client.close()),
  };
}

async function finished(client: PixelLMClient, job: Job__Output): Promise<Job__Output> {
  let last = job;
  try {
    for await (const update of client.watchJob(job.jobId)) {
      last = update;
      if (TERMINAL.has(update.state)) break;
    }
  } catch {
    // The watch broke (e.g. its gateway went away): the job lives on in the queue.
  }
  while (!TERMINAL.has(last.state)) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    last = await client.getJob(job.jobId);
  }
  // A watch can report success without the result: the Redis queue's view reads a job's data
  // and then its state, and a job finishing in between looks done but empty. Reading it again
  // finds both.
  if (last.state === "JOB_STATE_SUCCEEDED" && !last.result) last = await client.getJob(job.jobId);
  return last;
}

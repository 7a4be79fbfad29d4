/**
 * Questions answered through a gateway's async jobs, as a batch client would. The questions carry
 * no answer ids (the model generates its answer), so any API key works: the evaluate permission
 * is needed only by clients that send teacher-forced answer ids.
 */
import { randomUUID } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { isServiceError } from "@pixellm/api";
import { PixelLMClient } from "@pixellm/client";
import { EVAL_MAX_NEW_TOKENS } from "@pixellm/muse";
import { awaitJob } from "./await-job";
import { submitRetrying } from "./submit-retrying";
import type { QuestionSegmenter } from "./question-segmenter";

const PROBE_TIMEOUT_MS = 10_000;
/**
 * Each question's deadline. An evaluation wants every answer, however long the queue: the
 * gateway's default (GATEWAY_DEFAULT_TIMEOUT_MS, 2 minutes) is meant for interactive requests.
 */
const JOB_DEADLINE_MS = 10 * 60_000;

/** A question whose job did not succeed; the message is the job's error. */
class JobFailedError extends Error {
  override readonly name = "JobFailedError";
}

/**
 * A segmenter for the gateway at `address`, once it answers: an unreachable gateway or a refused
 * API key stops the evaluation at once (the service error says which), not question by question.
 */
export async function gatewaySegmenter(address: string, apiKey?: string): Promise<QuestionSegmenter> {
  const client = new PixelLMClient(address, apiKey ? { apiKey } : {});
  try {
    // A well-formed id no job has: the gateway refuses malformed ones with INVALID_ARGUMENT.
    await client.getJob(randomUUID(), { timeoutMs: PROBE_TIMEOUT_MS });
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
      const deadlineUnixMs = Date.now() + JOB_DEADLINE_MS;
      const submitted = await submitRetrying(
        () => client.submitJob({ image, query, maxNewTokens: EVAL_MAX_NEW_TOKENS }, { deadlineUnixMs }),
        deadlineUnixMs,
      );
      const job = await awaitJob(client, submitted);
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

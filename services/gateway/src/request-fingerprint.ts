/**
 * What makes two requests the same one, for idempotency keys: the image's hash, the prompt and
 * answer ids, and the options that change the result (max_new_tokens, sampling). Priority and
 * deadline are left out: a client retrying later may change them and still means the same job.
 */
import { createHash } from "node:crypto";
import type { AdmittedRequest } from "./admission";

export function requestFingerprint(request: AdmittedRequest): string {
  const identity = {
    image: request.imageHash,
    prompt: request.promptIds,
    answer: request.answerIds ?? null,
    maxNewTokens: request.maxNewTokens,
    sampling: request.sampling ?? null,
  };
  return createHash("sha256").update(JSON.stringify(identity)).digest("hex");
}

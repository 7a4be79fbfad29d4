/** The data of a queued job for tests of the queue alone (no image or stage is ever read). */
import type { JobData } from "../src/job-types";

export function jobData(extra: Partial<JobData> = {}): JobData {
  return {
    requestId: "request-1",
    tenant: "anonymous",
    fingerprint: "f".repeat(64),
    imageHash: "0".repeat(64),
    original: [10, 10],
    resized: [10, 10],
    promptIds: [1, 2],
    maxNewTokens: 4,
    deadline: Date.now() + 60_000,
    createdAt: Date.now(),
    ...extra,
  };
}

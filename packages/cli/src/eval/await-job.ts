/**
 * Following a submitted job to its end: WatchJob, falling back to polling GetJob when the watch
 * ends early (a gateway restarting), so an accepted question is never lost.
 */
import type { Job__Output } from "@pixellm/api";

const TERMINAL = new Set(["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"]);
const POLL_MS = 500;

/** The calls used (PixelLMClient has them; tests pass a fake). */
export interface JobReader {
  watchJob(jobId: string): AsyncIterable<Job__Output>;
  getJob(jobId: string): Promise<Job__Output>;
}

export async function awaitJob(client: JobReader, job: Job__Output, pollMs = POLL_MS): Promise<Job__Output> {
  let last = job;
  try {
    for await (const update of client.watchJob(job.jobId)) {
      last = update;
      if (TERMINAL.has(update.state)) break;
    }
  } catch {
    // The watch broke: the job lives on in the queue.
  }
  while (!TERMINAL.has(last.state)) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    last = await client.getJob(job.jobId);
  }
  // Gateways before the fix in bull-job-queue.ts `view` could report a success without its
  // result (a job finishing between the reads of its data and its state); reading again finds both.
  if (last.state === "JOB_STATE_SUCCEEDED" && !last.result) last = await client.getJob(job.jobId);
  return last;
}

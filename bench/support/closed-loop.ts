/** Closed-loop load: `concurrency` workers, each sending its next request when the last returns. */
export interface LoopResult {
  readonly concurrency: number;
  readonly requests: number;
  readonly seconds: number;
  /** requests per second */
  readonly throughput: number;
  /** milliseconds, in completion order */
  readonly latencies: readonly number[];
}

export async function closedLoop(
  concurrency: number,
  requests: number,
  send: () => Promise<unknown>,
): Promise<LoopResult> {
  const latencies: number[] = [];
  let issued = 0;
  const started = performance.now();
  const worker = async () => {
    while (issued < requests) {
      issued++;
      const t = performance.now();
      await send();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { concurrency, requests, seconds, throughput: requests / seconds, latencies };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Several runs as one: requests and latencies pooled, throughput over their summed time. */
export function merge(runs: readonly LoopResult[]): LoopResult {
  const requests = runs.reduce((sum, r) => sum + r.requests, 0);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  return {
    concurrency: runs[0]!.concurrency,
    requests,
    seconds,
    throughput: requests / seconds,
    latencies: runs.flatMap((r) => r.latencies),
  };
}

/**
 * The gateway's scrape-time metrics: the job queue by state (what KEDA scales on) and the stage
 * replicas it routes to by health (an alert fires when a stage has none healthy).
 */
import { instruments, observe } from "@pixellm/service-kit";
import type { JobQueue } from "./queue/job-queue";

export type ReplicaHealth = () => Readonly<Record<string, readonly { readonly healthy: boolean }[]>>;

/** Starts reporting; the returned function stops it. */
export function observeGateway(queue: JobQueue, replicas?: ReplicaHealth): () => void {
  const metrics = instruments();
  const removers = [
    observe(metrics.queueJobs, async (report) => {
      const { states } = await queue.counts();
      for (const [state, count] of Object.entries(states)) report(count, { state });
    }),
  ];
  if (replicas) {
    removers.push(
      observe(metrics.stageReplicas, (report) => {
        for (const [stage, list] of Object.entries(replicas())) {
          const healthy = list.filter((r) => r.healthy).length;
          report(healthy, { stage, health: "healthy" });
          report(list.length - healthy, { stage, health: "unhealthy" });
        }
      }),
    );
  }
  return () => removers.forEach((remove) => remove());
}

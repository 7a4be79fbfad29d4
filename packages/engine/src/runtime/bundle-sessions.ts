/** Opens the onnxruntime sessions of a bundle's graphs (each service opens only its own). */
import type { GraphName, LoadedBundle } from "@pixellm/bundle";
import { ModelSession, type SessionOptions } from "./model-session";

export type BundleSessions<G extends GraphName> = Record<G, ModelSession>;

export async function openSessions<G extends GraphName>(
  bundle: LoadedBundle,
  graphs: readonly G[],
  options: SessionOptions,
): Promise<BundleSessions<G>> {
  const sessions = {} as BundleSessions<G>;
  try {
    for (const graph of graphs) {
      const deviceOutputs =
        graph === "llm"
          ? bundle.manifest.graphs.llm.outputs.map((o) => o.name).filter((n) => n.startsWith("present."))
          : [];
      sessions[graph] = await ModelSession.create(
        graph,
        bundle.graphPath(graph),
        bundle.manifest.graphs[graph],
        { ...options, deviceOutputs },
      );
    }
  } catch (error) {
    await Promise.all(Object.values<ModelSession>(sessions).map((s) => s.release()));
    throw error;
  }
  return sessions;
}

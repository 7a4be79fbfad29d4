/**
 * Opens the onnxruntime sessions of a bundle's graphs (each service opens only its own). The
 * graphs' dump-only outputs are left out unless asked for, so serving never copies them.
 */
import { type GraphName, type LoadedBundle, isDumpOutput } from "@pixellm/bundle";
import { ModelSession, type SessionOptions } from "./model-session";

export type BundleSessions<G extends GraphName> = Record<G, ModelSession>;

export async function openSessions<G extends GraphName>(
  bundle: LoadedBundle,
  graphs: readonly G[],
  options: SessionOptions & { readonly dumpOutputs?: boolean },
): Promise<BundleSessions<G>> {
  const sessions = {} as BundleSessions<G>;
  try {
    for (const graph of graphs) {
      const deviceOutputs =
        graph === "llm"
          ? bundle.manifest.graphs.llm.outputs
              .map((o) => o.name)
              .filter((n) => n.startsWith("new_key_values."))
          : [];
      const entry = bundle.manifest.graphs[graph];
      const outputs = options.dumpOutputs
        ? entry.outputs
        : entry.outputs.filter((o) => !isDumpOutput(o.name));
      sessions[graph] = await ModelSession.create(
        graph,
        bundle.graphPath(graph),
        { ...entry, outputs },
        { ...options, deviceOutputs },
      );
    }
  } catch (error) {
    await Promise.all(Object.values<ModelSession>(sessions).map((s) => s.release()));
    throw error;
  }
  return sessions;
}

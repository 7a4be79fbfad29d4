/**
 * embed.onnx: LLaMA token embedding (`model.embed_tokens`), kept apart from the LLM so the
 * engine can splice the 256 image embeddings in at the -200 placeholder.
 *
 * in:  input_ids     int64[B,S]
 * out: inputs_embeds float32[B,S,H]
 */
import { pixellmNames } from "@pixellm/checkpoint";
import { GraphBuilder, type GraphDefinition } from "@pixellm/onnx";
import { checkpointWeights } from "../export/checkpoint-weight";
import type { ExportContext } from "../export/export-context";
import { toFloat32 } from "./layers";

export function buildEmbedGraph(ctx: ExportContext): GraphDefinition {
  const { vocab_size: V, hidden_size: H } = ctx.config;
  const g = new GraphBuilder("embed", ctx.floatType);
  const ids = g.input("input_ids", "int64", ["batch", "sequence"]);
  const table = checkpointWeights(g, ctx.llm, "vocab_size × hidden_size")(pixellmNames.embedTokens, [V, H]);
  g.output(toFloat32(g, g.op("Gather", [table, ids], { axis: 0 })), "inputs_embeds", "float32", [
    "batch",
    "sequence",
    H,
  ]);
  return g.build();
}

/**
 * The small graphs that change a device-resident KV cache without it leaving the device. Each
 * takes every layer's key and value cache (2·layers tensors [rows,kv_heads,width,head_dim], in
 * past_key_values order) and returns the new ones; built at run time for the bundle's KV shape
 * and run on the llm's provider.
 *
 *   write   cache.j, fresh.j [B,kv,1,d], positions int64[B,kv,3] → ScatterND of each row's new
 *           position (the indices are (row, head, position) for every row and head)
 *   append  cache.j, fresh.j [n,kv,S,d], sources int64[k], width int64[1] → the cache's rows,
 *           then prefill rows `sources` fitted to the width
 *   start   fresh.j, sources, width → the same, for an empty cache
 *   keep    cache.j, order int64[k] → rows `order` (Gather)
 *   resize  cache.j, width int64[1] → every row cut or zero-padded to the width
 */
import { GraphBuilder, type GraphDefinition } from "@pixellm/onnx";
import type { KvShape } from "./kv-store";

export type DeviceKvGraph = "write" | "append" | "start" | "keep" | "resize";

export const cacheName = (j: number) => `cache.${j}`;
export const freshName = (j: number) => `fresh.${j}`;
export const outputName = (j: number) => `cache_out.${j}`;

/** Declares the inputs of one layer tensor and returns its output. */
type LayerOutput = (j: number) => string;

export function deviceKvGraph(kind: DeviceKvGraph, shape: KvShape): GraphDefinition {
  const g = new GraphBuilder(`kv-${kind}`, shape.dtype);
  const dims = (rows: string, width: string | number) => [rows, shape.kvHeads, width, shape.headDim];
  const cache = (j: number) => g.input(cacheName(j), shape.dtype, dims("rows", "width"));
  const fresh = (j: number, rows: string, width: string | number) =>
    g.input(freshName(j), shape.dtype, dims(rows, width));
  const layer: Record<DeviceKvGraph, () => LayerOutput> = {
    write: () => {
      const positions = g.input("positions", "int64", ["rows", shape.kvHeads, 3]);
      return (j) =>
        g.op("ScatterND", [cache(j), positions, g.op("Squeeze", [fresh(j, "rows", 1), g.int64s([2])])]);
    },
    append: () => {
      const { sources, width } = prefillInputs(g);
      return (j) =>
        g.op(
          "Concat",
          [cache(j), fitWidth(g, g.op("Gather", [fresh(j, "prefill_rows", "sequence"), sources]), width)],
          {
            axis: 0,
          },
        );
    },
    start: () => {
      const { sources, width } = prefillInputs(g);
      return (j) => fitWidth(g, g.op("Gather", [fresh(j, "prefill_rows", "sequence"), sources]), width);
    },
    keep: () => {
      const order = g.input("order", "int64", ["kept"]);
      return (j) => g.op("Gather", [cache(j), order]);
    },
    resize: () => {
      const width = g.input("width", "int64", [1]);
      return (j) => fitWidth(g, cache(j), width);
    },
  };
  const output = layer[kind]();
  for (let j = 0; j < 2 * shape.layers; j++)
    g.output(output(j), outputName(j), shape.dtype, dims("out_rows", "out_width"));
  return g.build();
}

function prefillInputs(g: GraphBuilder): { sources: string; width: string } {
  return { sources: g.input("sources", "int64", ["kept"]), width: g.input("width", "int64", [1]) };
}

/** Cuts axis 2 of [B,kv,W,d] to `width`, or pads it with zeros up to it. */
function fitWidth(g: GraphBuilder, x: string, width: string): string {
  const cut = g.op("Slice", [x, g.int64s([0]), width, g.int64s([2])]);
  const missing = g.op("Sub", [width, g.op("Gather", [g.op("Shape", [cut]), g.int64s([2])])]);
  const zero = g.int64s([0]);
  const pads = g.op("Concat", [zero, zero, zero, zero, zero, zero, missing, zero], { axis: 0 });
  return g.op("Pad", [cut, pads], { mode: "constant" });
}

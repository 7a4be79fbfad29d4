/**
 * Where a running batch's keys and values live. KvBatch decides what goes where (which row sits
 * in which slot, how many positions each holds, how wide the cache is); a store only moves
 * tensors, in the layout llm.onnx reads: per layer key and value, [rows, kv_heads, width,
 * head_dim], each row's positions from 0, unused positions masked by the step's attention mask.
 *
 * HostKvStore keeps the cache in preallocated host buffers updated in place (the cpu provider);
 * DeviceKvStore keeps it in device buffers and never moves it through host memory (webgpu).
 */
import type { SessionValue } from "../../runtime/model-session";

export interface KvShape {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly dtype: "float32" | "float16";
}

/** new_key_values.{i}.key / .value of a run, or the cache's past_key_values: [key0, value0, key1, …]. */
export type LayerTensors = readonly SessionValue[];

export interface KvStore {
  /** The cache as the next run's past_key_values: [rows, kv_heads, width, head_dim] each. */
  past(): LayerTensors;
  /** A decode step's new keys and values ([rows,kv_heads,1,head_dim]): row r's go to position `positions[r]`. */
  writeStep(fresh: LayerTensors, positions: readonly number[]): Promise<void>;
  /**
   * Appends rows from a prefill's new keys and values ([n,kv_heads,S,head_dim], each row from
   * position 0): the i-th new row is prefill row `sources[i]`, its first `lengths[i]` positions.
   */
  appendRows(fresh: LayerTensors, sources: readonly number[], lengths: readonly number[]): Promise<void>;
  /** Keeps `order.length` rows: new row i is old row `order[i]`, of which `lengths[i]` positions matter. */
  keepRows(order: readonly number[], lengths: readonly number[]): Promise<void>;
  /** Sets the width (positions per row), keeping the first `lengths[r]` positions of each row. */
  resize(width: number, lengths: readonly number[]): Promise<void>;
  release(): Promise<void>;
}

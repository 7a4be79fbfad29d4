/**
 * The KV cache on a GPU provider (webgpu): every layer's keys and values stay in device buffers
 * for the whole generation. The llm graph's new keys and values come back as device tensors,
 * and the small graphs of device-kv-graphs.ts write them into the cache, add joining rows, drop
 * leaving ones and change the width, all on the device. Nothing is read back to the host: with
 * onnxruntime-node 1.30, reading a gpu-buffer tensor's data aborts the process, which is why
 * `PIXELLM_EXECUTION_PROVIDER=webgpu` used to die on the first request that joined the batch.
 *
 * onnxruntime-node cannot bind a preallocated device output, so each change is a new device
 * tensor (a copy on the device, from the provider's buffer cache) rather than an update in place.
 */
import { modelBytes } from "@pixellm/onnx";
import { int64Tensor, makeTensor } from "@pixellm/tensor";
import {
  ModelSession,
  type SessionOptions,
  type SessionValue,
  disposeValue,
} from "../../runtime/model-session";
import { type DeviceKvGraph, cacheName, deviceKvGraph, freshName, outputName } from "./device-kv-graphs";
import type { KvShape, KvStore, LayerTensors } from "./kv-store";

const GRAPHS: readonly DeviceKvGraph[] = ["write", "append", "start", "keep", "resize"];

export class DeviceKvStore implements KvStore {
  private tensors: SessionValue[] = [];
  private rows = 0;
  private width = 0;

  private constructor(
    private readonly shape: KvShape,
    private readonly graphs: Readonly<Record<DeviceKvGraph, ModelSession>>,
  ) {}

  /** Builds the cache's graphs on `options.provider` (the llm session's). */
  static async open(shape: KvShape, options: SessionOptions): Promise<DeviceKvStore> {
    const graphs = {} as Record<DeviceKvGraph, ModelSession>;
    try {
      for (const kind of GRAPHS) {
        const graph = deviceKvGraph(kind, shape);
        graphs[kind] = await ModelSession.create(graph.name, await modelBytes(graph), graph, {
          ...options,
          deviceOutputs: graph.outputs.map((o) => o.name),
        });
      }
    } catch (error) {
      await Promise.all(Object.values(graphs).map((s) => s.release()));
      throw error;
    }
    return new DeviceKvStore(shape, graphs);
  }

  past(): LayerTensors {
    if (this.rows > 0) return this.tensors;
    const { kvHeads, headDim, dtype } = this.shape;
    const dims = [0, kvHeads, this.width, headDim];
    return Array.from({ length: 2 * this.shape.layers }, () =>
      dtype === "float32"
        ? makeTensor(dtype, dims, new Float32Array(0))
        : makeTensor(dtype, dims, new Uint16Array(0)),
    );
  }

  async writeStep(fresh: LayerTensors, positions: readonly number[]): Promise<void> {
    const { kvHeads } = this.shape;
    // (row, head, position) for every row and head
    const indices = positions.flatMap((p, r) => Array.from({ length: kvHeads }, (_, h) => [r, h, p]).flat());
    await this.replace("write", {
      ...this.layerFeeds(cacheName, this.tensors),
      ...this.layerFeeds(freshName, fresh),
      positions: int64Tensor([positions.length, kvHeads, 3], indices),
    });
  }

  async appendRows(fresh: LayerTensors, sources: readonly number[]): Promise<void> {
    const feeds = {
      ...this.layerFeeds(freshName, fresh),
      sources: int64Tensor([sources.length], sources),
      width: int64Tensor([1], [this.width]),
    };
    if (this.rows === 0) await this.replace("start", feeds);
    else await this.replace("append", { ...feeds, ...this.layerFeeds(cacheName, this.tensors) });
    this.rows += sources.length;
  }

  async keepRows(order: readonly number[]): Promise<void> {
    if (order.length === 0) this.drop();
    else if (order.some((from, to) => from !== to) || order.length !== this.rows)
      await this.replace("keep", {
        ...this.layerFeeds(cacheName, this.tensors),
        order: int64Tensor([order.length], order),
      });
    this.rows = order.length;
  }

  async resize(width: number): Promise<void> {
    if (this.rows > 0)
      await this.replace("resize", {
        ...this.layerFeeds(cacheName, this.tensors),
        width: int64Tensor([1], [width]),
      });
    this.width = width;
  }

  async release(): Promise<void> {
    this.drop();
    await Promise.all(Object.values(this.graphs).map((s) => s.release()));
  }

  /** Runs a cache graph and makes its outputs the cache (the old tensors are freed). */
  private async replace(kind: DeviceKvGraph, feeds: Record<string, SessionValue>): Promise<void> {
    const graph = this.graphs[kind];
    const names = Array.from({ length: 2 * this.shape.layers }, (_, j) => outputName(j));
    const out = await graph.run(feeds, new Set(names));
    this.drop();
    this.tensors = names.map((name) => out[name]!);
  }

  private drop(): void {
    this.tensors.forEach(disposeValue);
    this.tensors = [];
  }

  private layerFeeds(name: (j: number) => string, tensors: LayerTensors): Record<string, SessionValue> {
    return Object.fromEntries(tensors.map((t, j) => [name(j), t]));
  }
}

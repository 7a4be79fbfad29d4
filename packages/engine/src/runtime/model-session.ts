/**
 * The one place that touches onnxruntime. A ModelSession wraps an InferenceSession for one
 * bundle graph and checks every call against the graph's declared I/O (names, dtypes, ranks,
 * fixed dimensions), so a wrong tensor fails with a message naming it instead of deep inside
 * onnxruntime.
 */
import * as ort from "onnxruntime-node";
import type { GraphEntry } from "@pixellm/bundle";

/** What ModelSession checks runs against: a graph's declared inputs and outputs. */
export type GraphIo = Pick<GraphEntry, "inputs" | "outputs">;
import type { ValueInfo } from "@pixellm/onnx";
import { type DType, type HostTensor, makeTensor, shapeString } from "@pixellm/tensor";
import { EngineError } from "@pixellm/errors";

export type ExecutionProvider = "cpu" | "webgpu" | "cuda";
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ["cpu", "webgpu", "cuda"];

export interface SessionOptions {
  /** Preferred provider; falls back to cpu (with a warning) when it cannot be created. */
  readonly provider: ExecutionProvider;
  /** Threads per operator on the cpu provider (0 = onnxruntime's default). */
  readonly intraOpThreads?: number;
  /** Let idle operator threads busy-wait (faster hand-offs for a process that owns its cores). */
  readonly spinning?: boolean;
  /** Outputs to keep on the device (e.g. new_key_values.* on a GPU provider); cpu ignores it. */
  readonly deviceOutputs?: readonly string[];
  readonly onFallback?: (event: { graph: string; requested: ExecutionProvider; reason: string }) => void;
}

/** A tensor that stays where the provider put it (host memory on cpu, a GPU buffer otherwise). */
export interface DeviceTensor {
  readonly kind: "device";
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Opaque handle; only ModelSession reads it. */
  readonly handle: unknown;
}

export type SessionValue = HostTensor | DeviceTensor;

const ORT_TYPES: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: "float32",
  float16: "float16",
  int64: "int64",
  int32: "int32",
  uint8: "uint8",
  bool: "bool",
};

export class ModelSession {
  private constructor(
    readonly graph: string,
    readonly provider: ExecutionProvider,
    private readonly session: ort.InferenceSession,
    private readonly inputs: ReadonlyMap<string, ValueInfo>,
    private readonly outputs: ReadonlyMap<string, ValueInfo>,
  ) {}

  /** `model`: a bundle graph's file, or the bytes of a graph built at run time. */
  static async create(
    graph: string,
    model: string | Uint8Array,
    entry: GraphIo,
    options: SessionOptions,
  ): Promise<ModelSession> {
    const base: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: "all",
      ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
      // Idle onnxruntime threads busy-wait for the next op by default. With several sessions
      // (three stage processes on a CPU node, or a whole pipeline in one process) the spinning
      // threads of the idle ones steal the cores of the busy one, so spinning is off unless asked.
      extra: { session: { intra_op: { allow_spinning: options.spinning ? "1" : "0" } } },
    };
    const sessionOptions = (provider: ExecutionProvider): ort.InferenceSession.SessionOptions => ({
      ...base,
      executionProviders: [provider],
      ...(provider !== "cpu" && options.deviceOutputs?.length
        ? {
            preferredOutputLocation: Object.fromEntries(
              options.deviceOutputs.map((name) => [name, "gpu-buffer" as const]),
            ),
          }
        : {}),
    });
    // Two calls for onnxruntime's two overloads (a path, or the model's bytes).
    const make = (provider: ExecutionProvider) =>
      typeof model === "string"
        ? ort.InferenceSession.create(model, sessionOptions(provider))
        : ort.InferenceSession.create(model, sessionOptions(provider));
    const source = typeof model === "string" ? `from ${model}` : "built at run time";
    let provider = options.provider;
    let session: ort.InferenceSession;
    try {
      session = await make(provider);
    } catch (error) {
      if (provider === "cpu")
        throw new EngineError(
          "model_load",
          `cannot load ${graph} graph ${source}: ${(error as Error).message}`,
        );
      options.onFallback?.({
        graph,
        requested: provider,
        reason: (error as Error).message.split("\n")[0] ?? "",
      });
      provider = "cpu";
      session = await make(provider);
    }
    const byName = (values: readonly ValueInfo[]) => new Map(values.map((v) => [v.name, v]));
    return new ModelSession(graph, provider, session, byName(entry.inputs), byName(entry.outputs));
  }

  /**
   * Runs the graph. Inputs must be exactly the declared ones. Outputs come back as host tensors,
   * except those listed in `keepOnDevice` that the provider put on its device: they stay device
   * tensors (onnxruntime-node cannot download them; see device-kv-store.ts).
   */
  async run(
    feeds: Readonly<Record<string, SessionValue>>,
    keepOnDevice: ReadonlySet<string> = new Set(),
  ): Promise<Record<string, SessionValue>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, info] of this.inputs) {
      const value = feeds[name];
      if (!value) throw new EngineError("internal", `${this.graph}: missing input ${name}`);
      checkValue(this.graph, "input", info, value);
      ortFeeds[name] = toOrt(value);
    }
    for (const name of Object.keys(feeds)) {
      if (!this.inputs.has(name)) throw new EngineError("internal", `${this.graph}: unknown input ${name}`);
    }
    // Only the declared outputs: a graph may have more (dump-only ones) that this session skips.
    const results = await this.session.run(ortFeeds, [...this.outputs.keys()]);
    const out: Record<string, SessionValue> = {};
    for (const [name, info] of this.outputs) {
      const tensor = results[name];
      if (!tensor) throw new EngineError("internal", `${this.graph}: output ${name} missing from the run`);
      const value =
        tensor.location === "cpu"
          ? fromOrtHost(tensor)
          : fromOrtDevice(this.graph, name, tensor, keepOnDevice);
      checkValue(this.graph, "output", info, value);
      out[name] = value;
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Frees a device tensor's buffer now rather than when it is garbage-collected (host tensors: nothing). */
export function disposeValue(value: SessionValue): void {
  if ("kind" in value) (value.handle as ort.Tensor).dispose();
}

function checkValue(graph: string, role: string, info: ValueInfo, value: SessionValue): void {
  const problem =
    value.dtype !== info.dtype
      ? `is ${value.dtype}, expected ${info.dtype}`
      : value.shape.length !== info.dims.length
        ? `has shape ${shapeString(value.shape)}, expected rank ${info.dims.length}`
        : info.dims.some((d, i) => typeof d === "number" && d !== value.shape[i])
          ? `has shape ${shapeString(value.shape)}, expected [${info.dims.join(",")}]`
          : undefined;
  if (problem) throw new EngineError("internal", `${graph}: ${role} ${info.name} ${problem}`);
}

function toOrt(value: SessionValue): ort.Tensor {
  if ("kind" in value) return value.handle as ort.Tensor;
  const type = ORT_TYPES[value.dtype];
  if (!type) throw new EngineError("internal", `no onnxruntime type for ${value.dtype}`);
  return new ort.Tensor(type, value.data as never, value.shape);
}

function fromOrtHost(tensor: ort.Tensor): HostTensor {
  return makeTensor(tensor.type as DType, tensor.dims, tensor.data as never);
}

/**
 * A device output stays a device tensor: onnxruntime-node 1.30 aborts the whole process (an
 * uncaught C++ exception) when a gpu-buffer tensor's data is read, so device tensors only ever
 * go back into graphs, and an output that must reach the host is declared one (not kept).
 */
function fromOrtDevice(
  graph: string,
  name: string,
  tensor: ort.Tensor,
  keep: ReadonlySet<string>,
): DeviceTensor {
  if (!keep.has(name))
    throw new EngineError("internal", `${graph}: output ${name} came back on the device, not the host`);
  return { kind: "device", dtype: tensor.type as DType, shape: tensor.dims, handle: tensor };
}

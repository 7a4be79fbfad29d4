/**
 * Builds an ONNX graph as plain node definitions. Values are referred to by name (strings);
 * weights are lazy sources, so a graph over a 13 GB checkpoint is cheap to describe and its
 * bytes are read only while the model file is written.
 */
import type { ByteSink } from "@pixellm/protobuf";
import { type DType, byteLengthOf, bytesOf, encodeFloat32, shapeString } from "@pixellm/tensor";
import type { AttributeValue, Dim, NodeDef, TensorValue, ValueInfo } from "./proto";

/** The bytes of one initializer, produced on demand: exactly `byteLength` bytes. */
export interface InitializerSource {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly byteLength: number;
  writeTo(sink: ByteSink): Promise<void>;
}

export type FloatType = "float32" | "float16";

export function memorySource(dtype: DType, dims: readonly number[], bytes: Uint8Array): InitializerSource {
  const expected = byteLengthOf(dtype, dims);
  if (bytes.byteLength !== expected) {
    throw new RangeError(`${dtype}${shapeString(dims)} needs ${expected} bytes, got ${bytes.byteLength}`);
  }
  return { dtype, dims: [...dims], byteLength: expected, writeTo: (sink) => sink.write(bytes) };
}

/** float32 values stored as `dtype` (float32 or float16). */
export function floatSource(
  dtype: FloatType,
  dims: readonly number[],
  values: Float32Array,
): InitializerSource {
  return memorySource(dtype, dims, encodeFloat32(values, dtype));
}

export interface GraphDefinition {
  readonly name: string;
  readonly floatType: FloatType;
  readonly nodes: readonly NodeDef[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly initializers: ReadonlyMap<string, InitializerSource>;
}

export class GraphBuilder {
  private readonly nodes: NodeDef[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers = new Map<string, InitializerSource>();
  private readonly scopes: string[] = [];
  /** Values renamed to graph-output names; later nodes that use the old name get the new one. */
  private readonly aliases = new Map<string, string>();
  private counter = 0;

  constructor(
    readonly name: string,
    /** The element type of float activations and weights inside the graph. */
    readonly floatType: FloatType,
  ) {}

  input(name: string, dtype: DType, dims: readonly Dim[]): string {
    this.inputs.push({ name, dtype, dims: [...dims] });
    return name;
  }

  /** Declares `value` as the graph output `name` (through an Identity when the names differ). */
  output(value: string, name: string, dtype: DType, dims: readonly Dim[]): void {
    if (value !== name && !this.renameValue(value, name))
      this.nodes.push(this.node("Identity", [value], [name], {}));
    this.outputs.push({ name, dtype, dims: [...dims] });
  }

  /**
   * Gives a node's output the graph-output name directly: an Identity would copy the tensor on
   * every run (for KV caches, the whole cache per decode step). Inputs, initializers and values
   * that already are outputs keep the Identity.
   */
  private renameValue(value: string, name: string): boolean {
    const producer = this.nodes.findIndex((n) => n.outputs.includes(value));
    if (producer < 0 || this.outputs.some((o) => o.name === value)) return false;
    const rename = (names: readonly string[]) => names.map((n) => (n === value ? name : n));
    this.nodes.forEach((node, i) => {
      if (i === producer || node.inputs.includes(value)) {
        this.nodes[i] = { ...node, inputs: rename(node.inputs), outputs: rename(node.outputs) };
      }
    });
    this.aliases.set(value, name);
    return true;
  }

  /**
   * A named initializer (weights keep their official names, so graphs are inspectable). Naming
   * an existing initializer again reuses it — modules shared by both decoder levels do this.
   */
  weight(name: string, source: InitializerSource): string {
    const existing = this.initializers.get(name);
    if (
      existing &&
      (existing.dtype !== source.dtype || shapeString(existing.dims) !== shapeString(source.dims))
    ) {
      throw new Error(
        `initializer ${name} defined twice in graph ${this.name} with different types or shapes`,
      );
    }
    if (!existing) this.initializers.set(name, source);
    return name;
  }

  /** A small float constant in the graph's float type. */
  floats(dims: readonly number[], values: ArrayLike<number>): string {
    return this.weight(
      this.uniqueName("const"),
      floatSource(this.floatType, dims, Float32Array.from(values)),
    );
  }

  scalar(value: number): string {
    return this.floats([], [value]);
  }

  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const bytes = bytesOf(BigInt64Array.from(values, (v) => BigInt(v)));
    return this.weight(this.uniqueName("ints"), memorySource("int64", dims, bytes));
  }

  /** Adds a node with one output and returns the output's name. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.opMulti(opType, inputs, 1, attributes)[0]!;
  }

  opMulti(
    opType: string,
    inputs: readonly string[],
    outputCount: number,
    attributes: Record<string, AttributeValue> = {},
  ): string[] {
    const base = this.uniqueName(opType);
    const outputs = Array.from({ length: outputCount }, (_, i) =>
      outputCount === 1 ? base : `${base}:${i}`,
    );
    this.nodes.push(this.node(opType, inputs, outputs, attributes, base));
    return outputs;
  }

  /** Runs `build` with `scope` prefixed to the names of the nodes it adds. */
  within<T>(scope: string, build: () => T): T {
    this.scopes.push(scope);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  build(): GraphDefinition {
    return {
      name: this.name,
      floatType: this.floatType,
      nodes: [...this.nodes],
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      initializers: new Map(this.initializers),
    };
  }

  private node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: Record<string, AttributeValue>,
    name?: string,
  ): NodeDef {
    return {
      opType,
      name: name ?? this.uniqueName(opType),
      inputs: inputs.map((input) => this.aliases.get(input) ?? input),
      outputs: [...outputs],
      attributes,
    };
  }

  private uniqueName(kind: string): string {
    const prefix = this.scopes.length > 0 ? `${this.scopes.join("/")}/` : "";
    return `${prefix}${kind}_${this.counter++}`;
  }
}

export function tensorAttribute(dtype: DType, dims: readonly number[], raw: Uint8Array): TensorValue {
  return { dtype, dims: [...dims], raw };
}

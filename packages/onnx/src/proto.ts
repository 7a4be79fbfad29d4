/**
 * ONNX protobuf messages (onnx/onnx.proto, IR version 8), encoded with the streaming writer.
 * Only the fields this project writes are here; field numbers are the schema's.
 */
import { type LazyBytes, ProtoMessage } from "@pixellm/protobuf";
import type { DType } from "@pixellm/tensor";

export const IR_VERSION = 8;
export const OPSET_VERSION = 17;

export const ONNX_ELEM_TYPE: Readonly<Record<DType, number>> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  bfloat16: 16,
};

export type Dim = number | string;

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly Dim[];
}

export type AttributeValue =
  | number
  | string
  | readonly number[]
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | TensorValue;

/** A tensor embedded in a node attribute (Constant, ConstantOfShape); small and in memory. */
export interface TensorValue {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly raw: Uint8Array;
}

export interface NodeDef {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/** Where an initializer's bytes live once written. */
export type TensorLocation =
  | { readonly kind: "inline"; readonly payload: LazyBytes }
  | { readonly kind: "external"; readonly file: string; readonly offset: number; readonly length: number };

export function tensorProto(
  name: string,
  dtype: DType,
  dims: readonly number[],
  location: TensorLocation,
): ProtoMessage {
  const msg = new ProtoMessage().packedVarints(1, dims).varint(2, ONNX_ELEM_TYPE[dtype]).string(8, name);
  if (location.kind === "inline") return msg.lazy(9, location.payload);
  const entry = (key: string, value: string) => new ProtoMessage().string(1, key).string(2, value);
  return msg
    .message(13, entry("location", location.file))
    .message(13, entry("offset", String(location.offset)))
    .message(13, entry("length", String(location.length)))
    .varint(14, 1);
}

function attributeTensorProto(value: TensorValue): ProtoMessage {
  return new ProtoMessage()
    .packedVarints(1, value.dims)
    .varint(2, ONNX_ELEM_TYPE[value.dtype])
    .bytes(9, value.raw);
}

function isTensorValue(v: AttributeValue): v is TensorValue {
  return typeof v === "object" && "raw" in v;
}

function attributeProto(name: string, value: AttributeValue): ProtoMessage {
  const msg = new ProtoMessage().string(1, name);
  if (typeof value === "number") {
    if (!Number.isInteger(value))
      throw new TypeError(`attribute ${name}: use {float} for non-integer ${value}`);
    return msg.varint(3, value).varint(20, 2);
  }
  if (typeof value === "string") return msg.string(4, value).varint(20, 3);
  if (Array.isArray(value)) return msg.packedVarints(8, value as number[]).varint(20, 7);
  if (isTensorValue(value)) return msg.message(5, attributeTensorProto(value)).varint(20, 4);
  if ("float" in value) return msg.float(2, value.float).varint(20, 1);
  if ("floats" in value) return msg.packedFloats(7, value.floats).varint(20, 6);
  throw new TypeError(`attribute ${name}: unsupported value`);
}

export function nodeProto(node: NodeDef): ProtoMessage {
  const msg = new ProtoMessage();
  for (const input of node.inputs) msg.string(1, input);
  for (const output of node.outputs) msg.string(2, output);
  msg.string(3, node.name).string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes)) msg.message(5, attributeProto(name, value));
  return msg;
}

export function valueInfoProto(info: ValueInfo): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of info.dims) {
    shape.message(
      1,
      typeof d === "number" ? new ProtoMessage().varint(1, d) : new ProtoMessage().string(2, d),
    );
  }
  const tensorType = new ProtoMessage().varint(1, ONNX_ELEM_TYPE[info.dtype]).message(2, shape);
  return new ProtoMessage().string(1, info.name).message(2, new ProtoMessage().message(1, tensorType));
}

export interface GraphParts {
  readonly name: string;
  readonly docString: string;
  readonly nodes: readonly NodeDef[];
  readonly initializers: readonly ProtoMessage[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
}

export function modelProto(graph: GraphParts, metadata: Readonly<Record<string, string>>): ProtoMessage {
  const g = new ProtoMessage();
  for (const node of graph.nodes) g.message(1, nodeProto(node));
  g.string(2, graph.name);
  for (const init of graph.initializers) g.message(5, init);
  g.string(10, graph.docString);
  for (const input of graph.inputs) g.message(11, valueInfoProto(input));
  for (const output of graph.outputs) g.message(12, valueInfoProto(output));
  const model = new ProtoMessage()
    .varint(1, IR_VERSION)
    .string(2, "pixellm-serve")
    .string(3, "0.1.0")
    .message(7, g)
    .message(8, new ProtoMessage().string(1, "").varint(2, OPSET_VERSION));
  for (const [key, value] of Object.entries(metadata)) {
    model.message(14, new ProtoMessage().string(1, key).string(2, value));
  }
  return model;
}

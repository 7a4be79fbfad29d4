export {
  GraphBuilder,
  memorySource,
  floatSource,
  tensorAttribute,
  type FloatType,
  type GraphDefinition,
  type InitializerSource,
} from "./graph-builder";
export {
  writeModel,
  modelBytes,
  PROTOBUF_LIMIT_BYTES,
  type WriteModelOptions,
  type WrittenFile,
  type WrittenModel,
} from "./model-writer";
export { HashingFileSink } from "./file-sink";
export {
  OPSET_VERSION,
  IR_VERSION,
  type Dim,
  type ValueInfo,
  type AttributeValue,
  type TensorValue,
} from "./proto";

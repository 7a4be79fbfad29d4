export { ProtoMessage, encodeVarint, type ByteSink, type LazyBytes } from "./writer";
export {
  readFields,
  fieldString,
  fieldNumber,
  fieldFloat,
  fieldBytes,
  fieldPackedVarints,
  ProtoDecodeError,
  type ProtoField,
} from "./reader";

export { packageDefinition, services, type PixelLMServices } from "./load";
export { encodeTensor, decodeTensor, TensorCodecError, type TensorSpec } from "./tensor-codec";
export { crc32c } from "./crc32c";
export {
  statusOf,
  serviceError,
  toServiceError,
  fromServiceError,
  isRetryable,
  isServiceError,
} from "./status";
export type * from "./types";

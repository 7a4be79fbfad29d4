/** The protos, their loader and types: servers and the gateway get the whole wire API from here. */
export * from "@pixellm/protos";
export { encodeTensor, decodeTensor, TensorCodecError, type TensorSpec } from "./tensor-codec";
export { crc32c } from "./crc32c";
export { statusOf, serviceError, toServiceError, retryAfterOf, isRetryable, isServiceError } from "./status";

// Original file: pixellm/v1/tensor.proto

import type {
  DType as _pixellm_v1_DType,
  DType__Output as _pixellm_v1_DType__Output,
} from "../../pixellm/v1/DType";
import type { Long } from "@grpc/proto-loader";

/**
 * The only way tensors cross a process boundary: element type, shape and the raw elements,
 * little-endian, row-major. `data` holds exactly product(shape) × sizeof(dtype) bytes.
 */
export interface Tensor {
  dtype?: _pixellm_v1_DType;
  /**
   * Dimensions, outermost first. An empty shape is a scalar.
   */
  shape?: (number | string | Long)[];
  data?: Buffer | Uint8Array | string;
  /**
   * Optional CRC-32C of `data` (Castagnoli, as iSCSI/gRPC use), checked when non-zero. Stage
   * outputs other services depend on (codebook hidden states, decoder features) carry it.
   */
  crc32c?: number;
}

/**
 * The only way tensors cross a process boundary: element type, shape and the raw elements,
 * little-endian, row-major. `data` holds exactly product(shape) × sizeof(dtype) bytes.
 */
export interface Tensor__Output {
  dtype: _pixellm_v1_DType__Output;
  /**
   * Dimensions, outermost first. An empty shape is a scalar.
   */
  shape: number[];
  data: Buffer;
  /**
   * Optional CRC-32C of `data` (Castagnoli, as iSCSI/gRPC use), checked when non-zero. Stage
   * outputs other services depend on (codebook hidden states, decoder features) carry it.
   */
  crc32c: number;
}

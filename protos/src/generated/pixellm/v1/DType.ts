// Original file: pixellm/v1/tensor.proto

/**
 * Element type of a Tensor.
 */
export const DType = {
  DTYPE_UNSPECIFIED: "DTYPE_UNSPECIFIED",
  DTYPE_FLOAT32: "DTYPE_FLOAT32",
  DTYPE_FLOAT16: "DTYPE_FLOAT16",
  DTYPE_BFLOAT16: "DTYPE_BFLOAT16",
  DTYPE_INT64: "DTYPE_INT64",
  DTYPE_INT32: "DTYPE_INT32",
  DTYPE_UINT8: "DTYPE_UINT8",
  DTYPE_BOOL: "DTYPE_BOOL",
} as const;

/**
 * Element type of a Tensor.
 */
export type DType =
  | "DTYPE_UNSPECIFIED"
  | 0
  | "DTYPE_FLOAT32"
  | 1
  | "DTYPE_FLOAT16"
  | 2
  | "DTYPE_BFLOAT16"
  | 3
  | "DTYPE_INT64"
  | 4
  | "DTYPE_INT32"
  | 5
  | "DTYPE_UINT8"
  | 6
  | "DTYPE_BOOL"
  | 7;

/**
 * Element type of a Tensor.
 */
export type DType__Output = (typeof DType)[keyof typeof DType];

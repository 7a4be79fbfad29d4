/** Element types that cross file, ONNX and gRPC boundaries. */
export type DType = "float32" | "float16" | "bfloat16" | "int64" | "int32" | "uint8" | "bool";

export const DTYPES: readonly DType[] = ["float32", "float16", "bfloat16", "int64", "int32", "uint8", "bool"];

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
};

/** The typed array holding each dtype's elements (16-bit floats are kept as raw bits). */
export interface DTypeArrays {
  float32: Float32Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type TypedArrayOf<D extends DType> = DTypeArrays[D];
export type AnyTypedArray = DTypeArrays[DType];

export function isDType(value: string): value is DType {
  return (DTYPES as readonly string[]).includes(value);
}

export function isFloatDType(dtype: DType): dtype is "float32" | "float16" | "bfloat16" {
  return dtype === "float32" || dtype === "float16" || dtype === "bfloat16";
}

/** Views little-endian bytes as a typed array (copies only when the bytes are misaligned). */
export function viewAs<D extends DType>(dtype: D, bytes: Uint8Array): TypedArrayOf<D> {
  const size = DTYPE_BYTES[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  // new Uint8Array(view) copies (Buffer#slice would not): misaligned bytes get an aligned copy
  const aligned = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes);
  const n = aligned.byteLength / size;
  const { buffer, byteOffset } = aligned;
  const arrays: { [K in DType]: () => DTypeArrays[K] } = {
    float32: () => new Float32Array(buffer, byteOffset, n),
    float16: () => new Uint16Array(buffer, byteOffset, n),
    bfloat16: () => new Uint16Array(buffer, byteOffset, n),
    int64: () => new BigInt64Array(buffer, byteOffset, n),
    int32: () => new Int32Array(buffer, byteOffset, n),
    uint8: () => new Uint8Array(buffer, byteOffset, n),
    bool: () => new Uint8Array(buffer, byteOffset, n),
  };
  return arrays[dtype]();
}

export function bytesOf(array: AnyTypedArray): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

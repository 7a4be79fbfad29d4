/**
 * The one codec between host tensors and `pixellm.v1.Tensor`: dtype + shape + little-endian
 * bytes, the byte length checked against the shape, the CRC-32C checked when present. A
 * malformed tensor names its field and what was expected.
 */
import {
  type DType,
  type HostTensor,
  byteLengthOf,
  bytesOf,
  makeTensor,
  shapeString,
  viewAs,
} from "@pixellm/tensor";
import { crc32c } from "./crc32c";
import type { DType__Output, Tensor, Tensor__Output } from "@pixellm/protos";

const TO_PROTO: Readonly<Record<DType, DType__Output>> = {
  float32: "DTYPE_FLOAT32",
  float16: "DTYPE_FLOAT16",
  bfloat16: "DTYPE_BFLOAT16",
  int64: "DTYPE_INT64",
  int32: "DTYPE_INT32",
  uint8: "DTYPE_UINT8",
  bool: "DTYPE_BOOL",
};
const FROM_PROTO = new Map(Object.entries(TO_PROTO).map(([k, v]) => [v, k as DType]));

export class TensorCodecError extends Error {
  override name = "TensorCodecError";
}

export function encodeTensor(tensor: HostTensor, options: { checksum?: boolean } = {}): Tensor {
  const data = bytesOf(tensor.data);
  return {
    dtype: TO_PROTO[tensor.dtype],
    shape: [...tensor.shape],
    data,
    crc32c: options.checksum ? crc32c(data) : 0,
  };
}

/** Expected dtype and shape; `null` dimensions may take any size. */
export interface TensorSpec<D extends DType> {
  readonly dtype: D;
  readonly shape: readonly (number | null)[];
}

export function decodeTensor<D extends DType>(
  field: string,
  message: Tensor__Output | null | undefined,
  spec: TensorSpec<D>,
): HostTensor<D> {
  // Built only for an error message: every stage call decodes several tensors.
  const expected = () => `${spec.dtype}[${spec.shape.map((d) => d ?? "*").join(",")}]`;
  if (!message) throw new TensorCodecError(`${field} is missing; expected ${expected()}`);
  const dtype = FROM_PROTO.get(message.dtype);
  const shape = message.shape.map(Number);
  if (
    dtype !== spec.dtype ||
    shape.length !== spec.shape.length ||
    spec.shape.some((d, i) => d !== null && d !== shape[i]) ||
    shape.some((d) => !Number.isInteger(d) || d < 0)
  ) {
    throw new TensorCodecError(
      `${field} must be ${expected()}, got ${dtype ?? message.dtype}${shapeString(shape)}`,
    );
  }
  const bytes = byteLengthOf(dtype, shape);
  if (message.data.byteLength !== bytes) {
    throw new TensorCodecError(
      `${field} ${dtype}${shapeString(shape)} needs ${bytes} bytes of data, got ${message.data.byteLength}`,
    );
  }
  if (message.crc32c !== 0 && crc32c(message.data) !== message.crc32c) {
    throw new TensorCodecError(`${field} failed its CRC-32C check: the tensor was corrupted in transit`);
  }
  return makeTensor(spec.dtype, shape, viewAs(spec.dtype, message.data));
}

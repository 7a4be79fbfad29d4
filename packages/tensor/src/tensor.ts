/** A tensor in host memory: dtype, row-major shape and a typed array of exactly numel elements. */
import { type DType, type TypedArrayOf, DTYPE_BYTES } from "./dtype";

export interface HostTensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayOf<D>;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

export function byteLengthOf(dtype: DType, shape: readonly number[]): number {
  return numel(shape) * DTYPE_BYTES[dtype];
}

export function makeTensor<D extends DType>(
  dtype: D,
  shape: readonly number[],
  data: TypedArrayOf<D>,
): HostTensor<D> {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new RangeError(`invalid dimension ${d} in shape ${shapeString(shape)}`);
  }
  if (data.length !== numel(shape)) {
    throw new RangeError(
      `${dtype} tensor of shape ${shapeString(shape)} needs ${numel(shape)} elements, got ${data.length}`,
    );
  }
  return { dtype, shape: [...shape], data };
}

export function float32Tensor(
  shape: readonly number[],
  data?: Float32Array | readonly number[],
): HostTensor<"float32"> {
  const array =
    data instanceof Float32Array ? data : data ? Float32Array.from(data) : new Float32Array(numel(shape));
  return makeTensor("float32", shape, array);
}

export function int64Tensor(
  shape: readonly number[],
  values: BigInt64Array | readonly (number | bigint)[],
): HostTensor<"int64"> {
  const array = values instanceof BigInt64Array ? values : BigInt64Array.from(values, (v) => BigInt(v));
  return makeTensor("int64", shape, array);
}

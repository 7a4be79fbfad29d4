/**
 * Initializer sources that stream a checkpoint tensor in chunks, converting its stored dtype
 * (float32/float16/bfloat16) to the graph's float type on the way: the exporter never holds
 * more than one chunk of a weight in memory.
 */
import type { TensorStore } from "@pixellm/checkpoint";
import type { FloatType, GraphBuilder, InitializerSource } from "@pixellm/onnx";
import { DTYPE_BYTES, convertFloatBytes, isFloatDType, numel } from "@pixellm/tensor";

const CHUNK_BYTES = 16 * 2 ** 20;

/**
 * `w(name, shape)`: the checkpoint tensor `name`, which must have `shape`, as an initializer of
 * `g` in the graph's float type. `why` explains where the expected shapes come from (it goes
 * into the error message).
 */
export function checkpointWeights(
  g: GraphBuilder,
  store: TensorStore,
  why?: string,
): (name: string, shape: readonly number[]) => string {
  return (name, shape) => g.weight(name, checkpointWeight(store, g.floatType, name, shape, why));
}

function checkpointWeight(
  store: TensorStore,
  floatType: FloatType,
  name: string,
  shape: readonly number[],
  why: string | undefined,
): InitializerSource {
  const info = store.expect(name, shape, why);
  const from = info.dtype;
  if (!isFloatDType(from)) throw new Error(`unreachable: ${name} is ${from}`);
  return {
    dtype: floatType,
    dims: [...shape],
    byteLength: numel(shape) * DTYPE_BYTES[floatType],
    writeTo: async (sink) => {
      for await (const chunk of store.chunks(name, CHUNK_BYTES)) {
        await sink.write(from === floatType ? chunk : convertFloatBytes(chunk, from, floatType));
      }
    },
  };
}

/** A small tensor read whole as float32, for constants computed at export (PE tables, rotary). */
export async function readFloat32(
  store: TensorStore,
  name: string,
  shape: readonly number[],
): Promise<Float32Array> {
  store.expect(name, shape);
  return store.readFloat32(name);
}

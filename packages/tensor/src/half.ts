/**
 * float16 and bfloat16 codecs. Conversions to the narrow types round to nearest, ties to even,
 * which is what PyTorch's `.half()` / `.bfloat16()` and numpy do.
 */
import { type DType, viewAs } from "./dtype";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bfloat16ToFloat32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

export function float32ToBfloat16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff; // keep NaN a quiet NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

export function float32ToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal: shift the implicit-one mantissa into place, rounding to nearest even.
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let result = mantissa >>> shift;
    if (rest > half || (rest === half && result & 1)) result++;
    return sign | result;
  }
  let result = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && result & 1)) result++;
  return sign | result; // a carry into the exponent correctly rounds up to the next binade or Inf
}

type FloatDType = "float32" | "float16" | "bfloat16";

/** Float values of float32/float16/bfloat16 little-endian bytes (bfloat16 is a bit shift). */
function decodeToFloat32(bytes: Uint8Array, from: FloatDType): Float32Array {
  if (from === "float32") return new Float32Array(viewAs("float32", bytes));
  const src = viewAs(from, bytes);
  const out = new Float32Array(src.length);
  if (from === "bfloat16") {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  } else {
    for (let i = 0; i < src.length; i++) out[i] = float16ToFloat32(src[i]!);
  }
  return out;
}

/** float32 values as `to` bytes, rounding to nearest even (bulk loops: checkpoints are large). */
export function encodeFloat32(values: Float32Array, to: FloatDType): Uint8Array {
  if (to === "float32")
    return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  const out = new Uint16Array(values.length);
  if (to === "bfloat16") {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < values.length; i++) {
      const x = bits[i]!;
      out[i] =
        (x & 0x7fffffff) > 0x7f800000
          ? ((x >>> 16) | 0x40) & 0xffff
          : ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
    }
  } else {
    for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16(values[i]!);
  }
  return new Uint8Array(out.buffer);
}

/** Converts little-endian float bytes between float dtypes (a copy, even when `from === to`). */
export function convertFloatBytes(bytes: Uint8Array, from: FloatDType, to: FloatDType): Uint8Array {
  if (from === to) return new Uint8Array(bytes);
  const values = decodeToFloat32(bytes, from);
  return to === "float32" ? new Uint8Array(values.buffer) : encodeFloat32(values, to);
}

/** Decodes any float dtype's bytes to float32 values. */
export function floatBytesToFloat32(bytes: Uint8Array, from: DType): Float32Array {
  if (from !== "float32" && from !== "float16" && from !== "bfloat16") {
    throw new TypeError(`${from} is not a float dtype`);
  }
  return viewAs("float32", convertFloatBytes(bytes, from, "float32"));
}

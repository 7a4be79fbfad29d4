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

const toFloat32: Record<FloatDType, (bits: number) => number> = {
  float32: (v) => v,
  float16: float16ToFloat32,
  bfloat16: bfloat16ToFloat32,
};
const fromFloat32: Record<FloatDType, (v: number) => number> = {
  float32: (v) => v,
  float16: float32ToFloat16,
  bfloat16: float32ToBfloat16,
};

/** Converts little-endian float bytes between float dtypes (a copy, even when `from === to`). */
export function convertFloatBytes(bytes: Uint8Array, from: FloatDType, to: FloatDType): Uint8Array {
  if (from === to) return bytes.slice();
  const src = viewAs(from, bytes) as ArrayLike<number>;
  const n = src.length;
  if (to === "float32") {
    const out = new Float32Array(n);
    const decode = toFloat32[from];
    for (let i = 0; i < n; i++) out[i] = decode(src[i]!);
    return new Uint8Array(out.buffer);
  }
  const out = new Uint16Array(n);
  const decode = toFloat32[from];
  const encode = fromFloat32[to];
  for (let i = 0; i < n; i++) out[i] = encode(decode(src[i]!));
  return new Uint8Array(out.buffer);
}

/** Decodes any float dtype's bytes to float32 values. */
export function floatBytesToFloat32(bytes: Uint8Array, from: DType): Float32Array {
  if (from !== "float32" && from !== "float16" && from !== "bfloat16") {
    throw new TypeError(`${from} is not a float dtype`);
  }
  return viewAs("float32", convertFloatBytes(bytes, from, "float32"));
}

/** Rounds every value through a narrower float dtype and back (what a cast to it keeps). */
export function roundThrough(values: Float32Array, dtype: FloatDType): Float32Array {
  if (dtype === "float32") return values;
  const encode = fromFloat32[dtype];
  const decode = toFloat32[dtype];
  return values.map((v) => decode(encode(v)));
}

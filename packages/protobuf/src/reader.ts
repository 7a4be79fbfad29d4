/** Decodes protocol-buffers wire format into fields, without a schema. */

export type ProtoField =
  | { readonly field: number; readonly wireType: 0; readonly value: bigint }
  | { readonly field: number; readonly wireType: 1; readonly value: Uint8Array }
  | { readonly field: number; readonly wireType: 2; readonly value: Uint8Array }
  | { readonly field: number; readonly wireType: 5; readonly value: Uint8Array };

export class ProtoDecodeError extends Error {
  override name = "ProtoDecodeError";
}

export function* readFields(buffer: Uint8Array): Generator<ProtoField> {
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buffer.byteLength) throw new ProtoDecodeError("truncated varint");
      const byte = buffer[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new ProtoDecodeError("varint longer than 10 bytes");
    }
  };
  const take = (n: number): Uint8Array => {
    if (n < 0 || pos + n > buffer.byteLength) {
      throw new ProtoDecodeError(`field of ${n} bytes runs past the end of the message`);
    }
    const out = buffer.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  while (pos < buffer.byteLength) {
    const key = Number(readVarint());
    const field = key >>> 3;
    const wireType = key & 7;
    switch (wireType) {
      case 0:
        yield { field, wireType, value: readVarint() };
        break;
      case 1:
        yield { field, wireType, value: take(8) };
        break;
      case 2:
        yield { field, wireType, value: take(Number(readVarint())) };
        break;
      case 5:
        yield { field, wireType, value: take(4) };
        break;
      default:
        throw new ProtoDecodeError(`unsupported wire type ${wireType} for field ${field}`);
    }
  }
}

const textDecoder = new TextDecoder("utf-8", { fatal: true });

export function fieldString(f: ProtoField): string {
  if (f.wireType !== 2) throw new ProtoDecodeError(`field ${f.field} is not length-delimited`);
  return textDecoder.decode(f.value);
}

export function fieldNumber(f: ProtoField): number {
  if (f.wireType !== 0) throw new ProtoDecodeError(`field ${f.field} is not a varint`);
  return Number(BigInt.asIntN(64, f.value));
}

export function fieldFloat(f: ProtoField): number {
  if (f.wireType !== 5) throw new ProtoDecodeError(`field ${f.field} is not a fixed32`);
  return new DataView(f.value.buffer, f.value.byteOffset, 4).getFloat32(0, true);
}

export function fieldBytes(f: ProtoField): Uint8Array {
  if (f.wireType !== 2) throw new ProtoDecodeError(`field ${f.field} is not length-delimited`);
  return f.value;
}

/** Reads a packed (or, per the spec, also unpacked) repeated varint field's values. */
export function fieldPackedVarints(f: ProtoField): bigint[] {
  if (f.wireType === 0) return [f.value];
  const values: bigint[] = [];
  let value = 0n;
  let shift = 0n;
  for (const byte of fieldBytes(f)) {
    value |= BigInt(byte & 0x7f) << shift;
    if (byte & 0x80) {
      shift += 7n;
    } else {
      values.push(value);
      value = 0n;
      shift = 0n;
    }
  }
  return values;
}

/**
 * Protocol-buffers encoder that never needs a large field in memory.
 *
 * A message is a list of parts: encoded bytes, nested messages, or lazy fields whose length is
 * known up front and whose bytes are produced only while the message is streamed to a sink. The
 * length prefixes of nested messages are computed from those declared lengths, so a 1.9 GB ONNX
 * graph can be written with one tensor in memory at a time.
 */

/** Where encoded bytes go; `write` may keep the chunk only until its promise settles. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
}

/** A field payload produced on demand: exactly `byteLength` bytes written to the sink. */
export interface LazyBytes {
  readonly byteLength: number;
  writeTo(sink: ByteSink): Promise<void>;
}

type Part = Uint8Array | LazyBytes | ProtoMessage;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

export function encodeVarint(value: number | bigint): Uint8Array {
  // Negative int32/int64 values are encoded as their 64-bit two's complement (10 bytes).
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

function tag(field: number, wireType: number): Uint8Array {
  return encodeVarint((field << 3) | wireType);
}

const textEncoder = new TextEncoder();

export class ProtoMessage {
  private readonly parts: Part[] = [];
  private length = 0;

  get byteLength(): number {
    return this.length;
  }

  varint(field: number, value: number | bigint | boolean): this {
    const v = typeof value === "boolean" ? (value ? 1 : 0) : value;
    return this.push(tag(field, WIRE_VARINT), encodeVarint(v));
  }

  float(field: number, value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.push(tag(field, WIRE_FIXED32), bytes);
  }

  double(field: number, value: number): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    return this.push(tag(field, WIRE_FIXED64), bytes);
  }

  bytes(field: number, data: Uint8Array): this {
    return this.push(tag(field, WIRE_LENGTH_DELIMITED), encodeVarint(data.byteLength), data);
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  message(field: number, message: ProtoMessage): this {
    return this.push(tag(field, WIRE_LENGTH_DELIMITED), encodeVarint(message.byteLength), message);
  }

  lazy(field: number, payload: LazyBytes): this {
    return this.push(tag(field, WIRE_LENGTH_DELIMITED), encodeVarint(payload.byteLength), payload);
  }

  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const encoded = values.map((v) => encodeVarint(v));
    return this.push(tag(field, WIRE_LENGTH_DELIMITED), encodeVarint(totalLength(encoded)), ...encoded);
  }

  packedFloats(field: number, values: readonly number[]): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, bytes);
  }

  async writeTo(sink: ByteSink): Promise<void> {
    for (const part of this.parts) {
      if (part instanceof Uint8Array) await sink.write(part);
      else await part.writeTo(sink);
    }
  }

  /** Encodes the whole message in memory; for small messages and tests. */
  async toBytes(): Promise<Uint8Array> {
    const out = new Uint8Array(this.length);
    let offset = 0;
    await this.writeTo({
      write: (chunk) => {
        out.set(chunk, offset);
        offset += chunk.byteLength;
        return Promise.resolve();
      },
    });
    if (offset !== this.length) {
      throw new Error(`protobuf message declared ${this.length} bytes but produced ${offset}`);
    }
    return out;
  }

  private push(...parts: Part[]): this {
    for (const part of parts) {
      this.parts.push(part);
      this.length += part.byteLength;
    }
    return this;
  }
}

function totalLength(chunks: readonly Uint8Array[]): number {
  return chunks.reduce((sum, c) => sum + c.byteLength, 0);
}

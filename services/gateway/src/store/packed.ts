/**
 * One binary value holding JSON metadata and named tensors, for checkpoints and admitted images:
 * u32 header length, the JSON header (metadata and each tensor's dtype, shape and byte range),
 * then the tensors' bytes.
 */
import { type DType, type HostTensor, bytesOf, makeTensor, viewAs } from "@pixellm/tensor";

interface PackedHeader<M> {
  readonly meta: M;
  readonly tensors: readonly {
    name: string;
    dtype: DType;
    shape: number[];
    offset: number;
    length: number;
  }[];
}

export function pack<M>(meta: M, tensors: Readonly<Record<string, HostTensor>>): Buffer {
  const entries = Object.entries(tensors);
  let offset = 0;
  const header: PackedHeader<M> = {
    meta,
    tensors: entries.map(([name, t]) => {
      const entry = { name, dtype: t.dtype, shape: [...t.shape], offset, length: t.data.byteLength };
      offset += t.data.byteLength;
      return entry;
    }),
  };
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(4 + json.length + offset);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  let at = 4 + json.length;
  for (const [, t] of entries) {
    out.set(bytesOf(t.data), at);
    at += t.data.byteLength;
  }
  return out;
}

export function unpack<M>(value: Buffer): { meta: M; tensors: Record<string, HostTensor> } {
  const headerLength = value.readUInt32LE(0);
  const header = JSON.parse(value.subarray(4, 4 + headerLength).toString("utf8")) as PackedHeader<M>;
  const base = 4 + headerLength;
  const tensors: Record<string, HostTensor> = {};
  for (const t of header.tensors) {
    const bytes = new Uint8Array(value.subarray(base + t.offset, base + t.offset + t.length)); // aligned copy
    tensors[t.name] = makeTensor(t.dtype, t.shape, viewAs(t.dtype, bytes));
  }
  return { meta: header.meta, tensors };
}

/**
 * Writes safetensors files and HF-style sharded checkpoint directories, streaming each tensor
 * from a producer so checkpoints larger than memory can be generated.
 */
import { type FileHandle, open, writeFile } from "node:fs/promises";
import path from "node:path";
import { type DType, byteLengthOf } from "@pixellm/tensor";
import { SAFETENSORS_DTYPE_NAMES } from "./safetensors";

export interface TensorToWrite {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Produces exactly numel × element size bytes, in order, through `write`. */
  produce(write: (chunk: Uint8Array) => Promise<void>): Promise<void>;
}

function byteLength(t: Pick<TensorToWrite, "dtype" | "shape">): number {
  return byteLengthOf(t.dtype, t.shape);
}

export async function writeSafetensors(
  file: string,
  tensors: readonly TensorToWrite[],
  metadata: Record<string, string> = { format: "pt" },
): Promise<number> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const end = offset + byteLength(t);
    header[t.name] = { dtype: SAFETENSORS_DTYPE_NAMES[t.dtype], shape: t.shape, data_offsets: [offset, end] };
    offset = end;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8); // the format pads the header to 8 bytes
  const headerBytes = Buffer.from(json, "utf8");
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.byteLength));
  const handle = await open(file, "w");
  try {
    await writeAll(handle, prefix);
    await writeAll(handle, headerBytes);
    for (const t of tensors) {
      let written = 0;
      await t.produce(async (chunk) => {
        written += chunk.byteLength;
        await writeAll(handle, chunk);
      });
      if (written !== byteLength(t))
        throw new Error(`tensor ${t.name} produced ${written} bytes, expected ${byteLength(t)}`);
    }
  } finally {
    await handle.close();
  }
  return 8 + headerBytes.byteLength + offset;
}

/**
 * Writes `model-0000i-of-0000n.safetensors` shards of at most `maxShardBytes` (a tensor larger
 * than that gets a shard of its own) and `model.safetensors.index.json`, as transformers does.
 */
export async function writeShardedCheckpoint(
  dir: string,
  tensors: readonly TensorToWrite[],
  maxShardBytes: number,
): Promise<string[]> {
  const shards: TensorToWrite[][] = [];
  let current: TensorToWrite[] = [];
  let currentBytes = 0;
  for (const t of tensors) {
    if (current.length > 0 && currentBytes + byteLength(t) > maxShardBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(t);
    currentBytes += byteLength(t);
  }
  if (current.length > 0) shards.push(current);
  const pad = (n: number) => String(n).padStart(5, "0");
  const names = shards.map((_, i) => `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`);
  const weightMap: Record<string, string> = {};
  for (const [i, shard] of shards.entries()) {
    await writeSafetensors(path.join(dir, names[i]!), shard);
    for (const t of shard) weightMap[t.name] = names[i]!;
  }
  const totalSize = tensors.reduce((sum, t) => sum + byteLength(t), 0);
  await writeFile(
    path.join(dir, "model.safetensors.index.json"),
    JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2) + "\n",
  );
  return names;
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

/**
 * What a TensorStore needs from one shard, whatever its format: every tensor it holds is a
 * contiguous little-endian byte range of the file, read with positional reads, so a shard is
 * never held in memory whole. Safetensors and torch zip files differ only in how they find
 * those ranges; the reading lives here once.
 */
import { type FileHandle, open } from "node:fs/promises";
import { type DType, DTYPE_BYTES } from "@pixellm/tensor";
import { CheckpointError } from "./errors";

export interface TensorInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly byteLength: number;
}

export interface StoredTensor extends TensorInfo {
  /** Absolute offset of the first byte in the file. */
  readonly offset: number;
}

/** One shard file of a checkpoint, in any supported format. */
export interface TensorShard {
  readonly file: string;
  names(): string[];
  has(name: string): boolean;
  info(name: string): TensorInfo;
  read(name: string): Promise<Uint8Array>;
  /** Yields the tensor's bytes in chunks of at most `chunkBytes` (a multiple of the element size). */
  chunks(name: string, chunkBytes: number): AsyncGenerator<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Opens `file` and hands the handle to `parse`; the handle is closed if parsing fails, so a
 * refused file never leaks a descriptor. `kind` names the format in the not-found message.
 */
export async function openTensorFile<T>(
  file: string,
  kind: string,
  parse: (handle: FileHandle) => Promise<T>,
): Promise<T> {
  let handle: FileHandle;
  try {
    handle = await open(file, "r");
  } catch {
    throw new CheckpointError("missing_file", `${kind} file not found: ${file}`);
  }
  try {
    return await parse(handle);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Reads exactly `length` bytes at `offset`; running into the end of the file is a truncated shard. */
export async function readRange(
  handle: FileHandle,
  file: string,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, length - done, offset + done);
    if (bytesRead === 0) {
      throw new CheckpointError(
        "truncated_shard",
        `${file} ended while reading bytes ${offset}..${offset + length}`,
      );
    }
    done += bytesRead;
  }
  return out;
}

export class TensorFile implements TensorShard {
  protected constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    private readonly tensors: ReadonlyMap<string, StoredTensor>,
  ) {}

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    return this.stored(name);
  }

  async read(name: string): Promise<Uint8Array> {
    const t = this.stored(name);
    return readRange(this.handle, this.file, t.offset, t.byteLength);
  }

  async *chunks(name: string, chunkBytes: number): AsyncGenerator<Uint8Array> {
    const t = this.stored(name);
    const element = DTYPE_BYTES[t.dtype];
    const step = Math.max(element, chunkBytes - (chunkBytes % element));
    for (let done = 0; done < t.byteLength; done += step) {
      yield await readRange(this.handle, this.file, t.offset + done, Math.min(step, t.byteLength - done));
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private stored(name: string): StoredTensor {
    const t = this.tensors.get(name);
    if (!t) throw new CheckpointError("missing_tensor", `tensor ${name} is not in ${this.file}`);
    return t;
  }
}

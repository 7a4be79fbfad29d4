/**
 * The part of the ZIP format that torch.save archives use: the central directory (found from
 * the end-of-directory record, ZIP64 records for archives over 4 GB) and uncompressed (STORED)
 * entries located through their local headers. Only the directory is read; entry data stays on
 * disk for positional reads. Everything else (compression, encryption, multi-disk) is refused:
 * torch never writes it.
 */
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { CheckpointError } from "./errors";
import { readRange } from "./tensor-file";

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored; anything else is compressed. */
  readonly method: number;
  readonly flags: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_BYTES = 22;
const ZIP64_LOCATOR_BYTES = 20;
const ZIP64_EOCD_BYTES = 56;
const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;
const MAX_COMMENT = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
/** Marks a 32-bit field whose real value is in the ZIP64 extra field. */
const U32_OVERFLOW = 0xffffffff;
/** A 7B shard's directory is tens of kilobytes; a bigger claim means a corrupt file. */
const MAX_DIRECTORY_BYTES = 64 * 2 ** 20;
const METHOD_NAMES: Readonly<Record<number, string>> = { 8: "deflate", 12: "bzip2", 14: "lzma", 93: "zstd" };

/** Bounds-checked little-endian reads over one buffer, for headers that claim their own sizes. */
class Fields {
  constructor(
    private readonly bytes: Buffer,
    private readonly fail: (what: string) => CheckpointError,
  ) {}

  u16(at: number): number {
    this.need(at, 2);
    return this.bytes.readUInt16LE(at);
  }

  u32(at: number): number {
    this.need(at, 4);
    return this.bytes.readUInt32LE(at);
  }

  u64(at: number): number {
    this.need(at, 8);
    const value = this.bytes.readBigUInt64LE(at);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`a 64-bit field at byte ${at} is too large`);
    return Number(value);
  }

  get length(): number {
    return this.bytes.length;
  }

  slice(at: number, length: number): Buffer {
    this.need(at, length);
    return this.bytes.subarray(at, at + length);
  }

  private need(at: number, length: number): void {
    if (at + length > this.bytes.length) throw this.fail(`a record runs past its end at byte ${at}`);
  }
}

/** Reads the central directory of the archive `file` (whose size is `size`). */
export async function readZipDirectory(
  handle: FileHandle,
  file: string,
  size: number,
): Promise<Map<string, ZipEntry>> {
  const name = path.basename(file);
  const broken = (what: string) =>
    new CheckpointError("invalid_header", `${name}: broken zip directory (${what})`);
  const { count, directoryOffset, directoryBytes, directoryEnd } = await readEnd(handle, file, size, broken);
  if (directoryBytes > MAX_DIRECTORY_BYTES || directoryOffset + directoryBytes > directoryEnd) {
    throw broken(`directory of ${directoryBytes} bytes at ${directoryOffset} does not fit the file`);
  }
  const directory = new Fields(
    Buffer.from(await readRange(handle, file, directoryOffset, directoryBytes)),
    broken,
  );
  const entries = new Map<string, ZipEntry>();
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (directory.u32(at) !== CENTRAL_SIGNATURE) throw broken(`entry ${i} has no central header`);
    const nameLength = directory.u16(at + 28);
    const extraLength = directory.u16(at + 30);
    const commentLength = directory.u16(at + 32);
    const entryName = directory.slice(at + CENTRAL_BYTES, nameLength).toString("utf8");
    const extra = directory.slice(at + CENTRAL_BYTES + nameLength, extraLength);
    const zip64 = zip64Values(new Fields(extra, broken), () =>
      broken(`entry ${entryName} has no ZIP64 field`),
    );
    const wide = (value: number) => (value === U32_OVERFLOW ? zip64() : value);
    // the ZIP64 extra field holds only the overflowed values, in this order
    const entrySize = wide(directory.u32(at + 24));
    const compressedSize = wide(directory.u32(at + 20));
    const localHeaderOffset = wide(directory.u32(at + 42));
    if (entries.has(entryName)) throw broken(`entry ${entryName} appears twice`);
    entries.set(entryName, {
      name: entryName,
      method: directory.u16(at + 10),
      flags: directory.u16(at + 8),
      compressedSize,
      size: entrySize,
      localHeaderOffset,
    });
    at += CENTRAL_BYTES + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * Where an uncompressed entry's bytes start; compressed or encrypted entries are refused.
 * `label` names the entry in messages ("tensor w (zip entry archive/data/0)").
 */
export async function storedDataOffset(
  handle: FileHandle,
  file: string,
  size: number,
  entry: ZipEntry,
  label = `zip entry ${entry.name}`,
): Promise<number> {
  const name = path.basename(file);
  if (entry.flags & 1) {
    throw new CheckpointError("unsupported_format", `${name}: ${label} is encrypted`);
  }
  if (entry.method !== 0) {
    const method = METHOD_NAMES[entry.method] ?? `method ${entry.method}`;
    throw new CheckpointError(
      "unsupported_format",
      `${name}: ${label} is compressed (${method}); torch.save stores entries uncompressed, ` +
        `so re-save the checkpoint with torch.save instead of re-zipping it`,
    );
  }
  if (entry.compressedSize !== entry.size) {
    throw new CheckpointError(
      "invalid_header",
      `${name}: stored ${label} claims ${entry.size} bytes but occupies ${entry.compressedSize}`,
    );
  }
  if (entry.localHeaderOffset + LOCAL_BYTES > size) {
    throw new CheckpointError("truncated_shard", `${name} is truncated: ${label} is past its end`);
  }
  const local = Buffer.from(await readRange(handle, file, entry.localHeaderOffset, LOCAL_BYTES));
  if (local.readUInt32LE(0) !== LOCAL_SIGNATURE) {
    throw new CheckpointError(
      "invalid_header",
      `${name}: ${label} has no local header at byte ${entry.localHeaderOffset}`,
    );
  }
  // the local extra field differs from the central one (torch pads it to align tensor data)
  const dataOffset = entry.localHeaderOffset + LOCAL_BYTES + local.readUInt16LE(26) + local.readUInt16LE(28);
  if (dataOffset + entry.size > size) {
    throw new CheckpointError(
      "truncated_shard",
      `${name} is truncated: ${label} ends at byte ${dataOffset + entry.size} but the file has ${size} bytes`,
    );
  }
  return dataOffset;
}

/** A reader of the ZIP64 extra field's values, in order; reading one that is absent is an error. */
function zip64Values(extra: Fields, missing: () => CheckpointError): () => number {
  let at = 0;
  let valuesAt = -1;
  let valuesEnd = -1;
  while (at + 4 <= extra.length) {
    const id = extra.u16(at);
    const length = extra.u16(at + 2);
    if (id === ZIP64_EXTRA_ID) {
      valuesAt = at + 4;
      valuesEnd = valuesAt + length;
      break;
    }
    at += 4 + length;
  }
  let next = valuesAt;
  return () => {
    if (next < 0 || next + 8 > valuesEnd) throw missing();
    const value = extra.u64(next);
    next += 8;
    return value;
  };
}

async function readEnd(
  handle: FileHandle,
  file: string,
  size: number,
  broken: (what: string) => CheckpointError,
) {
  const tailLength = Math.min(size, EOCD_BYTES + MAX_COMMENT + ZIP64_LOCATOR_BYTES);
  const tailStart = size - tailLength;
  const tail = Buffer.from(await readRange(handle, file, tailStart, tailLength));
  // scan back for the record whose comment ends exactly at the end of the file: tensor data can
  // contain the signature bytes by chance, and a truncated file has no such record at all
  let eocd = -1;
  for (let at = tail.length - EOCD_BYTES; at >= 0; at--) {
    if (
      tail.readUInt32LE(at) === EOCD_SIGNATURE &&
      at + EOCD_BYTES + tail.readUInt16LE(at + 20) === tail.length
    ) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) {
    throw new CheckpointError(
      "truncated_shard",
      `${path.basename(file)} is truncated: it has no zip end-of-directory record (the last part of a torch.save file)`,
    );
  }
  const end = new Fields(tail, broken);
  if (end.u16(eocd + 4) !== 0 || end.u16(eocd + 6) !== 0) {
    throw new CheckpointError(
      "unsupported_format",
      `${path.basename(file)} is a multi-disk zip; torch never writes one`,
    );
  }
  const locator = eocd - ZIP64_LOCATOR_BYTES;
  if (locator >= 0 && end.u32(locator) === ZIP64_LOCATOR_SIGNATURE) {
    const recordOffset = end.u64(locator + 8);
    if (recordOffset + ZIP64_EOCD_BYTES > tailStart + locator)
      throw broken("the ZIP64 end record is misplaced");
    const record = new Fields(
      Buffer.from(await readRange(handle, file, recordOffset, ZIP64_EOCD_BYTES)),
      broken,
    );
    if (record.u32(0) !== ZIP64_EOCD_SIGNATURE) throw broken("the ZIP64 end record is missing");
    return {
      count: record.u64(32),
      directoryBytes: record.u64(40),
      directoryOffset: record.u64(48),
      directoryEnd: recordOffset,
    };
  }
  return {
    count: end.u16(eocd + 10),
    directoryBytes: end.u32(eocd + 12),
    directoryOffset: end.u32(eocd + 16),
    directoryEnd: tailStart + eocd,
  };
}

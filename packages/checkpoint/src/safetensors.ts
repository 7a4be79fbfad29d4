/**
 * One .safetensors file: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the data; TensorFile reads the ranges.
 */
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { type DType, DTYPES, byteLengthOf, shapeString } from "@pixellm/tensor";
import { CheckpointError } from "./errors";
import { type StoredTensor, TensorFile, openTensorFile, readRange } from "./tensor-file";

/** The header's name of each dtype (the writer spells them the same way). */
export const SAFETENSORS_DTYPE_NAMES: Readonly<Record<DType, string>> = {
  float32: "F32",
  float16: "F16",
  bfloat16: "BF16",
  int64: "I64",
  int32: "I32",
  uint8: "U8",
  bool: "BOOL",
};
const SAFETENSORS_DTYPES: Readonly<Record<string, DType>> = Object.fromEntries(
  DTYPES.map((dtype) => [SAFETENSORS_DTYPE_NAMES[dtype], dtype]),
);

/** Headers over this size are refused: real ones are a few hundred kilobytes. */
const MAX_HEADER_BYTES = 100 * 2 ** 20;

export class SafetensorsFile extends TensorFile {
  private constructor(
    file: string,
    handle: FileHandle,
    tensors: ReadonlyMap<string, StoredTensor>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {
    super(file, handle, tensors);
  }

  static open(file: string): Promise<SafetensorsFile> {
    return openTensorFile(file, "safetensors", async (handle) => {
      const { tensors, metadata } = await readHeader(handle, file);
      return new SafetensorsFile(file, handle, tensors, metadata);
    });
  }
}

async function readHeader(handle: FileHandle, file: string) {
  const { size } = await handle.stat();
  const name = path.basename(file);
  if (size < 8)
    throw new CheckpointError(
      "truncated_shard",
      `${name} is ${size} bytes: too short for a safetensors header`,
    );
  const lengthBytes = Buffer.from(await readRange(handle, file, 0, 8));
  const headerLength = Number(lengthBytes.readBigUInt64LE(0));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
    throw new CheckpointError(
      headerLength > MAX_HEADER_BYTES ? "invalid_header" : "truncated_shard",
      `${name}: header claims ${headerLength} bytes but the file has ${size}; the file is truncated or not safetensors`,
    );
  }
  const headerBytes = await readRange(handle, file, 8, headerLength);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(headerBytes.buffer).toString("utf8"));
  } catch {
    throw new CheckpointError("invalid_header", `${name}: the safetensors header is not valid JSON`);
  }
  if (typeof header !== "object" || header === null) {
    throw new CheckpointError("invalid_header", `${name}: the safetensors header is not a JSON object`);
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, StoredTensor>();
  let metadata: Record<string, string> = {};
  for (const [tensorName, entry] of Object.entries(header as Record<string, unknown>)) {
    if (tensorName === "__metadata__") {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    tensors.set(tensorName, parseEntry(name, tensorName, entry, dataStart, size));
  }
  return { tensors, metadata };
}

function parseEntry(
  file: string,
  name: string,
  entry: unknown,
  dataStart: number,
  fileSize: number,
): StoredTensor {
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const dtype = typeof e.dtype === "string" ? SAFETENSORS_DTYPES[e.dtype] : undefined;
  if (!dtype) {
    throw new CheckpointError(
      "unknown_dtype",
      `${file}: tensor ${name} has dtype ${JSON.stringify(e.dtype)}; supported: ${Object.keys(SAFETENSORS_DTYPES).join(", ")}`,
    );
  }
  const shape = e.shape;
  const offsets = e.data_offsets;
  if (!isIntArray(shape) || !isIntArray(offsets) || offsets.length !== 2) {
    throw new CheckpointError(
      "invalid_header",
      `${file}: tensor ${name} needs an integer shape and two data_offsets`,
    );
  }
  const [begin, end] = offsets as [number, number];
  const byteLength = byteLengthOf(dtype, shape);
  if (end - begin !== byteLength) {
    throw new CheckpointError(
      "invalid_header",
      `${file}: tensor ${name} ${dtype}${shapeString(shape)} needs ${byteLength} bytes but its offsets span ${end - begin}`,
    );
  }
  if (dataStart + end > fileSize) {
    throw new CheckpointError(
      "truncated_shard",
      `${file} is truncated: tensor ${name} ends at byte ${dataStart + end} but the file has ${fileSize} bytes`,
    );
  }
  return { name, dtype, shape, byteLength, offset: dataStart + begin };
}

function isIntArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isInteger(v) && v >= 0);
}

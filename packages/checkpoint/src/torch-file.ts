/**
 * One PyTorch pickle checkpoint file (`pytorch_model*.bin`) in the zip format torch.save has
 * written since 1.6: `<archive>/data.pkl` pickles the state dict, each storage's raw
 * little-endian bytes are the uncompressed entry `<archive>/data/<key>`. Only the pickle (tens of
 * kilobytes for a 7B shard) is read into memory, through the restricted unpickler; each tensor
 * becomes a byte range of the file, read like any other shard. Several tensors may share a
 * storage at different offsets; only contiguous row-major views are accepted, since a strided
 * view is not one byte range (save_pretrained never writes one).
 */
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { DTYPE_BYTES, numel, shapeString } from "@pixellm/tensor";
import { CheckpointError } from "./errors";
import { type StoredTensor, TensorFile, openTensorFile, readRange } from "./tensor-file";
import { type PickledTensor, TORCH_STORAGE_DTYPES, readStateDict } from "./torch-pickle";
import { type ZipEntry, readZipDirectory, storedDataOffset } from "./zip";

/** What the pre-1.6 format starts with: pickle PROTO, then LONG1 of torch's magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = Uint8Array.of(0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19);
const ZIP_LOCAL_HEADER = Uint8Array.of(0x50, 0x4b, 0x03, 0x04);
/** A 7B shard's pickle is tens of kilobytes; a claim of more means a corrupt or foreign file. */
const MAX_PICKLE_BYTES = 256 * 2 ** 20;

export class TorchFile extends TensorFile {
  static open(file: string): Promise<TorchFile> {
    return openTensorFile(file, "PyTorch checkpoint", async (handle) => {
      return new TorchFile(file, handle, await readArchive(handle, file));
    });
  }
}

async function readArchive(handle: FileHandle, file: string): Promise<Map<string, StoredTensor>> {
  const { size } = await handle.stat();
  const name = path.basename(file);
  if (size === 0) throw new CheckpointError("truncated_shard", `${name} is empty`);
  checkFormat(await readRange(handle, file, 0, Math.min(size, 32)), name);
  const entries = await readZipDirectory(handle, file, size);
  const pickles = [...entries.values()].filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pickles.length !== 1) {
    throw new CheckpointError(
      "invalid_header",
      `${name} is a zip archive without exactly one <archive>/data.pkl, so not a torch.save file`,
    );
  }
  const pickle = pickles[0]!;
  const archive = pickle.name.slice(0, -"data.pkl".length);
  const readEntry = async (entry: ZipEntry, max: number) => {
    if (entry.size > max) {
      throw new CheckpointError("invalid_header", `${name}: ${entry.name} is ${entry.size} bytes, too large`);
    }
    return readRange(handle, file, await storedDataOffset(handle, file, size, entry), entry.size);
  };
  const byteorder = entries.get(`${archive}byteorder`);
  if (byteorder && new TextDecoder().decode(await readEntry(byteorder, 16)) !== "little") {
    throw new CheckpointError("unsupported_format", `${name} was saved on a big-endian machine`);
  }
  const stateDict = readStateDict(await readEntry(pickle, MAX_PICKLE_BYTES), `${name}:${pickle.name}`);

  // storages are located once each: tied weights and views share them
  const storageOffsets = new Map<string, number>();
  const tensors = new Map<string, StoredTensor>();
  for (const [tensorName, tensor] of stateDict) {
    const { storage } = tensor;
    const dtype = TORCH_STORAGE_DTYPES[storage.storageType];
    if (!dtype) {
      throw new CheckpointError(
        "unknown_dtype",
        `${name}: tensor ${tensorName} is stored as torch.${storage.storageType}; supported: ` +
          Object.entries(TORCH_STORAGE_DTYPES)
            .map(([type, d]) => `${type} (${d})`)
            .join(", "),
      );
    }
    const element = DTYPE_BYTES[dtype];
    const entry = entries.get(`${archive}data/${storage.key}`);
    if (!entry) {
      throw new CheckpointError(
        "invalid_header",
        `${name}: tensor ${tensorName} uses storage ${storage.key}, which is not in the archive`,
      );
    }
    if (entry.size !== storage.numel * element) {
      throw new CheckpointError(
        "invalid_header",
        `${name}: storage ${storage.key} of tensor ${tensorName} holds ${entry.size} bytes; ` +
          `the pickle says ${storage.numel} ${dtype} elements`,
      );
    }
    let dataOffset = storageOffsets.get(storage.key);
    if (dataOffset === undefined) {
      const label = `tensor ${tensorName} (zip entry ${entry.name})`;
      dataOffset = await storedDataOffset(handle, file, size, entry, label);
      storageOffsets.set(storage.key, dataOffset);
    }
    checkContiguous(tensor, tensorName, name);
    const count = numel(tensor.shape);
    if (tensor.storageOffset + count > storage.numel) {
      throw new CheckpointError(
        "invalid_header",
        `${name}: tensor ${tensorName} ${shapeString(tensor.shape)} at offset ${tensor.storageOffset} ` +
          `runs past its storage of ${storage.numel} elements`,
      );
    }
    tensors.set(tensorName, {
      name: tensorName,
      dtype,
      shape: tensor.shape,
      byteLength: count * element,
      offset: dataOffset + tensor.storageOffset * element,
    });
  }
  return tensors;
}

/** Refuses the pre-zip torch format and files that are not zip archives at all. */
function checkFormat(head: Uint8Array, name: string): void {
  if (head[0] === 0x80 && indexOf(head, LEGACY_MAGIC) >= 0) {
    throw new CheckpointError(
      "unsupported_format",
      `${name} is in PyTorch's legacy (pre-1.6, non-zip) format, which is not supported; re-save it with a ` +
        `recent torch: python3 -c "import torch; torch.save(torch.load('${name}'), '${name}')"`,
    );
  }
  if (indexOf(head, ZIP_LOCAL_HEADER) !== 0) {
    throw new CheckpointError(
      "invalid_header",
      `${name} is not a torch.save checkpoint: it does not start with a zip header`,
    );
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle);
}

/** Row-major with no gaps; strides of size-1 dimensions do not matter (torch agrees). */
function checkContiguous(tensor: PickledTensor, tensorName: string, name: string): void {
  let expected = 1;
  let contiguous = true;
  for (let i = tensor.shape.length - 1; i >= 0; i--) {
    const dim = tensor.shape[i]!;
    if (dim !== 1 && tensor.stride[i] !== expected) contiguous = false;
    expected *= dim;
  }
  if (!contiguous && expected !== 0) {
    throw new CheckpointError(
      "unsupported_format",
      `${name}: tensor ${tensorName} ${shapeString(tensor.shape)} is not contiguous (stride ` +
        `${shapeString(tensor.stride)}); re-save the state dict with contiguous tensors: ` +
        `torch.save({k: v.contiguous() for k, v in state_dict.items()}, path)`,
    );
  }
}

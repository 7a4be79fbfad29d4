/** NumPy .npy (format 1.0) files, so intermediate tensors can be compared with a PyTorch run. */
import { type DType, DTYPE_BYTES, bytesOf, viewAs } from "./dtype";
import { convertFloatBytes } from "./half";
import { type HostTensor, makeTensor, numel } from "./tensor";

const MAGIC = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

const DESCR: Partial<Record<DType, string>> = {
  float32: "<f4",
  float16: "<f2",
  int64: "<i8",
  int32: "<i4",
  uint8: "|u1",
  bool: "|b1",
};

/** Encodes a tensor as .npy. numpy has no bfloat16, so bfloat16 tensors are widened to float32. */
export function encodeNpy(tensor: HostTensor): Uint8Array {
  const widened = tensor.dtype === "bfloat16";
  const dtype: DType = widened ? "float32" : tensor.dtype;
  const body = widened
    ? convertFloatBytes(bytesOf(tensor.data), "bfloat16", "float32")
    : bytesOf(tensor.data);
  const shape = tensor.shape.length === 1 ? `(${tensor.shape[0]},)` : `(${tensor.shape.join(", ")})`;
  let header = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // The header (with magic, version and length) is padded with spaces to a multiple of 64 bytes.
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const out = new Uint8Array(MAGIC.length + 4 + header.length + body.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

export function decodeNpy(bytes: Uint8Array): HostTensor {
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw new Error("not a .npy file (bad magic)");
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  const dtype = (Object.keys(DESCR) as DType[]).find((d) => DESCR[d] === descr);
  if (!dtype || shapeText === undefined) throw new Error(`unsupported .npy header: ${header.trim()}`);
  if (fortran) throw new Error(".npy files in Fortran order are not supported");
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const start = headerStart + headerLength;
  const body = bytes.slice(start, start + numel(shape) * DTYPE_BYTES[dtype]);
  return makeTensor(dtype, shape, viewAs(dtype, body));
}

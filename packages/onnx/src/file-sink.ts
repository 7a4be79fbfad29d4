/** A buffered file writer that hashes what it writes, for model files of any size. */
import { createHash } from "node:crypto";
import { type FileHandle, open, rm } from "node:fs/promises";
import type { ByteSink } from "@pixellm/protobuf";

const BUFFER_BYTES = 8 * 2 ** 20;

export class HashingFileSink implements ByteSink {
  private readonly hash = createHash("sha256");
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private buffered = 0;
  private written = 0;

  private constructor(
    private readonly file: FileHandle,
    private readonly filePath: string,
  ) {}

  static async open(filePath: string): Promise<HashingFileSink> {
    return new HashingFileSink(await open(filePath, "w"), filePath);
  }

  /** Bytes accepted so far (the offset the next byte will have in the file). */
  get position(): number {
    return this.written + this.buffered;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    if (chunk.byteLength >= BUFFER_BYTES) {
      await this.flush();
      await this.writeAll(chunk);
      return;
    }
    if (this.buffered + chunk.byteLength > BUFFER_BYTES) await this.flush();
    this.buffer.set(chunk, this.buffered);
    this.buffered += chunk.byteLength;
  }

  /** Writes zero bytes up to the next multiple of `alignment`. */
  async padTo(alignment: number): Promise<void> {
    const pad = (alignment - (this.position % alignment)) % alignment;
    if (pad > 0) await this.write(new Uint8Array(pad));
  }

  async close(): Promise<{ bytes: number; sha256: string }> {
    await this.flush();
    await this.file.close();
    return { bytes: this.written, sha256: this.hash.digest("hex") };
  }

  /** Closes and deletes a partly written file. */
  async abort(): Promise<void> {
    await this.file.close().catch(() => undefined);
    await rm(this.filePath, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0) return;
    await this.writeAll(this.buffer.subarray(0, this.buffered));
    this.buffered = 0;
  }

  private async writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.byteLength) {
      const { bytesWritten } = await this.file.write(bytes, offset, bytes.byteLength - offset);
      offset += bytesWritten;
    }
    this.written += bytes.byteLength;
  }
}

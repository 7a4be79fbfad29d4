/** Resident memory of a process, from the kernel's own account (Linux /proc). */
import { readFile } from "node:fs/promises";

/** VmRSS of `pid` in bytes, or undefined when the process is gone. */
export async function residentBytes(pid: number): Promise<number | undefined> {
  const statusText = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  const kib = statusText?.match(/^VmRSS:\s+(\d+)\s+kB$/m)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

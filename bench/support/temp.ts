import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `pixellm-${prefix}-`));
}

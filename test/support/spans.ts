/** Reading the spans that services wrote with PIXELLM_TRACES_EXPORTER=file. */
import { readFile } from "node:fs/promises";
import type { SpanRecord } from "@pixellm/service-kit";

export async function readSpans(file: string): Promise<SpanRecord[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as SpanRecord);
}

/** Reading a MUSE JSON file: a missing file or broken JSON is reported with its path. */
import { readFile } from "node:fs/promises";
import { MuseFormatError } from "./errors";
import { parseRecords } from "./parse-records";
import type { MuseRecord } from "./record";

export async function loadMuseFile(file: string): Promise<MuseRecord[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new MuseFormatError(`cannot read the MUSE file ${file}: ${reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the text around the problem (newer versions add its position).
    throw new MuseFormatError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return parseRecords(json);
  } catch (error) {
    if (error instanceof MuseFormatError) throw new MuseFormatError(`${file}: ${error.message}`);
    throw error;
  }
}

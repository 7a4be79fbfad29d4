/**
 * Where a record's image lives under `--images DIR`. Two layouts resolve, tried in this order:
 *  1. DIR/<name>: images in one directory, records with a bare `file_name` (our synthetic splits;
 *     also a flat folder of COCO images for records that only have `coco_url`);
 *  2. DIR/refer_seg/images/mscoco/images/{train2014|train2017|val2017}/<name>: the official
 *     dataset root (`base_image_dir`), using the directory the official loader picks.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { MuseFormatError } from "./errors";
import type { MuseRecord } from "./record";

export function imageCandidates(record: MuseRecord, imagesDir: string): string[] {
  return [
    path.join(imagesDir, record.imageName),
    path.join(imagesDir, record.officialImageDir, record.imageName),
  ];
}

/** The first candidate that exists; a clear error listing the places looked at otherwise. */
export async function resolveImagePath(record: MuseRecord, imagesDir: string): Promise<string> {
  const candidates = imageCandidates(record, imagesDir);
  for (const candidate of candidates) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      // try the next layout
    }
  }
  throw new MuseFormatError(
    `record ${record.index}: image ${record.imageName} not found; looked for ${candidates.join(" and ")}`,
  );
}

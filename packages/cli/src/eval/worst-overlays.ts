/**
 * Overlay PNGs of the worst-scored questions: the image with the predicted masks (left) beside
 * the image with the ground truth (right), each in chat.py's red overlay.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  type RgbImage,
  decodeImage,
  decodeRle,
  overlayMask,
  rgbToPng,
  rleCountsFromString,
} from "@pixellm/image";
import { type MuseRecord, targetMask } from "@pixellm/muse";
import { questionIou } from "./eval-summary";
import type { QuestionOutcome } from "./run-eval";

/** White columns between the two halves. */
const GAP = 8;

export interface WorstCase {
  readonly file: string;
  readonly record: number;
  readonly question: number;
  readonly iou: number;
}

/**
 * Writes up to `count` overlays, lowest question IoU first (file order among equals). Failed
 * questions are listed in the report instead: there is no answer to show.
 */
export async function writeWorstOverlays(
  dir: string,
  records: readonly MuseRecord[],
  outcomes: readonly QuestionOutcome[],
  count: number,
): Promise<WorstCase[]> {
  const scored = outcomes.flatMap((o) => {
    const iou = questionIou(o.score);
    return iou === null || o.error !== undefined ? [] : [{ outcome: o, iou }];
  });
  const worst = scored.sort((a, b) => a.iou - b.iou).slice(0, count);
  if (worst.length > 0) await mkdir(dir, { recursive: true });
  const written: WorstCase[] = [];
  for (const [rank, { outcome, iou }] of worst.entries()) {
    const record = records[outcome.record]!;
    const image = await decodeImage(await readFile(outcome.imagePath));
    const pixels = record.height * record.width;
    const predicted = union(
      pixels,
      outcome.masks.map((m) =>
        decodeRle({ size: [record.height, record.width], counts: rleCountsFromString(m.counts) }),
      ),
    );
    const truth = union(
      pixels,
      record.questions[outcome.question]!.targets.map((t) =>
        targetMask(t.segmentation, record.height, record.width),
      ),
    );
    const file = `worst-${String(rank + 1).padStart(2, "0")}-record${outcome.record}-q${outcome.question}.png`;
    await writeFile(
      path.join(dir, file),
      await rgbToPng(sideBySide(overlayMask(image, predicted), overlayMask(image, truth))),
    );
    written.push({ file, record: outcome.record, question: outcome.question, iou });
  }
  return written;
}

function union(pixels: number, masks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pixels);
  for (const m of masks) for (let p = 0; p < pixels; p++) if (m[p] !== 0) out[p] = 1;
  return out;
}

function sideBySide(left: RgbImage, right: RgbImage): RgbImage {
  const width = left.width + GAP + right.width;
  const height = Math.max(left.height, right.height);
  const data = new Uint8Array(width * height * 3).fill(255);
  for (const [image, x0] of [
    [left, 0],
    [right, left.width + GAP],
  ] as const) {
    for (let y = 0; y < image.height; y++) {
      data.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), (y * width + x0) * 3);
    }
  }
  return { width, height, data };
}

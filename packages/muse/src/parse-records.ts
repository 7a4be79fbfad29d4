/**
 * The JSON of a MUSE file → validated records, reading the fields the official loaders read
 * (`multi_reason_seg_val_dataset.py`, `multi_reason_seg_dataset.py`) and refusing what they would
 * crash on or silently misread. Every message names the record, the field and what was expected.
 */
import { type Rle, cocoRleToRle } from "@pixellm/image";
import { MuseFormatError } from "./errors";
import type { MuseQuestion, MuseRecord, MuseTarget, Segmentation, SegmentationPart } from "./record";

/** The placeholder a `text_answers` entry has once per target. */
export const SEG_PLACEHOLDER = "{seg}";

type Json = unknown;
type JsonObject = Readonly<Record<string, Json>>;

function describe(value: Json): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${value}`;
  return typeof value === "object" ? "an object" : typeof value;
}

function isObject(value: Json): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Validates a parsed MUSE file: a JSON list of image records. */
export function parseRecords(json: Json): MuseRecord[] {
  if (!Array.isArray(json)) {
    throw new MuseFormatError(`expected a JSON list of image records, got ${describe(json)}`);
  }
  return json.map((record: Json, index) => parseRecord(record, index));
}

function parseRecord(record: Json, index: number): MuseRecord {
  if (!isObject(record))
    throw new MuseFormatError(`record ${index}: expected an object, got ${describe(record)}`);
  const image = imageOf(record, index);
  const at = (field: string) => `record ${index} (${image.name}), ${field}`;
  const height = positiveInteger(record.height, at("height"));
  const width = positiveInteger(record.width, at("width"));
  if (!Array.isArray(record.ann_list)) {
    throw new MuseFormatError(
      `${at("ann_list")}: expected the list of the image's annotations, got ${describe(record.ann_list)}`,
    );
  }
  const questions = record.questions;
  if (!Array.isArray(questions) || questions.length === 0) {
    throw new MuseFormatError(
      `${at("questions")}: expected a non-empty list of question strings, got ${describe(questions)}`,
    );
  }
  const answers = record.answers;
  if (!Array.isArray(answers) || answers.length !== questions.length) {
    throw new MuseFormatError(
      `${at("answers")}: expected a list of ${questions.length} target lists (one per question), got ${describe(answers)}`,
    );
  }
  const textAnswers = record.text_answers;
  if (textAnswers !== undefined && (!Array.isArray(textAnswers) || textAnswers.length !== questions.length)) {
    throw new MuseFormatError(
      `${at("text_answers")}: expected a list of ${questions.length} strings (one per question), got ${describe(textAnswers)}`,
    );
  }
  const families = record.question_families;
  if (
    families !== undefined &&
    (!Array.isArray(families) ||
      families.length !== questions.length ||
      families.some((f) => typeof f !== "string"))
  ) {
    throw new MuseFormatError(
      `${at("question_families")}: expected a list of ${questions.length} strings (one per question), got ${describe(families)}`,
    );
  }
  const parsed = questions.map((text: Json, q): MuseQuestion => {
    if (typeof text !== "string" || text.trim() === "") {
      throw new MuseFormatError(
        `${at(`questions[${q}]`)}: expected a question string, got ${describe(text)}`,
      );
    }
    const targets = targetsOf(answers[q], at(`answers[${q}]`), height, width);
    const family = (families as string[] | undefined)?.[q];
    const base = { index: q, text, targets, ...(family !== undefined ? { family } : {}) };
    const textAnswer = (textAnswers as Json[] | undefined)?.[q];
    if (textAnswer === undefined || textAnswer === null) return base;
    if (typeof textAnswer !== "string") {
      throw new MuseFormatError(
        `${at(`text_answers[${q}]`)}: expected a string, got ${describe(textAnswer)}`,
      );
    }
    const placeholders = textAnswer.split(SEG_PLACEHOLDER).length - 1;
    if (placeholders !== targets.length) {
      throw new MuseFormatError(
        `${at(`text_answers[${q}]`)}: has ${placeholders} ${SEG_PLACEHOLDER} placeholder(s) but question ${q} ` +
          `has ${targets.length} target(s) in answers[${q}]; each target needs exactly one ${SEG_PLACEHOLDER}`,
      );
    }
    return { ...base, textAnswer };
  });
  return {
    index,
    imageName: image.name,
    officialImageDir: image.officialDir,
    height,
    width,
    questions: parsed,
  };
}

/**
 * The official image location: `file_name` → refer_seg/images/mscoco/images/train2014; otherwise
 * `coco_url`'s last segment under train2017 or val2017, by substring.
 */
function imageOf(record: JsonObject, index: number): { name: string; officialDir: string } {
  const official = "refer_seg/images/mscoco/images";
  if (record.file_name !== undefined) {
    if (typeof record.file_name !== "string" || record.file_name === "") {
      throw new MuseFormatError(
        `record ${index}, file_name: expected a file name, got ${describe(record.file_name)}`,
      );
    }
    return { name: record.file_name, officialDir: `${official}/train2014` };
  }
  const url = record.coco_url;
  const name = typeof url === "string" ? url.split("/").pop() : undefined;
  if (!name) {
    throw new MuseFormatError(
      `record ${index}: needs file_name or coco_url to locate its image, got coco_url ${describe(url)}`,
    );
  }
  return {
    name,
    officialDir: `${official}/${(url as string).includes("train2017") ? "train2017" : "val2017"}`,
  };
}

function positiveInteger(value: Json, where: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new MuseFormatError(`${where}: expected a positive integer, got ${describe(value)}`);
  }
  return value;
}

function targetsOf(answer: Json, where: string, height: number, width: number): MuseTarget[] {
  if (!Array.isArray(answer)) {
    throw new MuseFormatError(`${where}: expected a list of target annotations, got ${describe(answer)}`);
  }
  return answer.map((ann: Json, t) => {
    const at = `${where}[${t}]`;
    if (!isObject(ann))
      throw new MuseFormatError(`${at}: expected an annotation object, got ${describe(ann)}`);
    const name = [ann.rephrased_name, ann.category_name].find((n) => typeof n === "string");
    return {
      segmentation: segmentationOf(ann.segmentation, `${at}.segmentation`, height, width),
      name: typeof name === "string" ? name : "",
    };
  });
}

/** What `mask.frPyObjects(segmentation, height, width)` accepts for a MUSE target. */
function segmentationOf(value: Json, where: string, height: number, width: number): Segmentation {
  const expected = "a list of COCO polygons [[x0,y0,x1,y1,…],…] or an RLE object {size:[h,w], counts}";
  if (isObject(value)) return [{ kind: "rle", rle: rleOf(value, where, height, width) }];
  if (!Array.isArray(value) || value.length === 0) {
    throw new MuseFormatError(`${where}: expected ${expected}, got ${describe(value)}`);
  }
  if (value.every(isObject)) {
    return value.map((part: JsonObject, i): SegmentationPart => ({
      kind: "rle",
      rle: rleOf(part, `${where}[${i}]`, height, width),
    }));
  }
  return value.map((polygon: Json, i): SegmentationPart => {
    const at = `${where}[${i}]`;
    if (!Array.isArray(polygon) || polygon.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
      throw new MuseFormatError(
        `${at}: expected a polygon (a list of finite x,y numbers), got ${describe(polygon)}`,
      );
    }
    if (i === 0 && polygon.length === 4) {
      throw new MuseFormatError(
        `${at}: a list of 4 numbers, which pycocotools reads as a box [x,y,w,h], not a polygon; store masks as polygons or RLE`,
      );
    }
    if (polygon.length < 6 || polygon.length % 2 !== 0) {
      throw new MuseFormatError(
        `${at}: a polygon needs x,y pairs for at least 3 points, got ${polygon.length} numbers`,
      );
    }
    return { kind: "polygon", xy: polygon as number[] };
  });
}

/**
 * An RLE object. Uncompressed counts are what frPyObjects reads; compressed COCO strings are
 * accepted too (our extension: pycocotools' frPyObjects would fail on them). The mask must have
 * the record's size, since every mask of an image is compared pixel for pixel.
 */
function rleOf(value: JsonObject, where: string, height: number, width: number): Rle {
  const size = value.size;
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0)
  ) {
    throw new MuseFormatError(`${where}.size: expected [height, width], got ${describe(size)}`);
  }
  const [h, w] = size as [number, number];
  if (h !== height || w !== width) {
    throw new MuseFormatError(
      `${where}.size: the mask is ${h}x${w} (height x width) but the record's image is ${height}x${width}`,
    );
  }
  const counts = value.counts;
  try {
    if (typeof counts === "string") return cocoRleToRle({ size: [h, w], counts });
    if (
      Array.isArray(counts) &&
      counts.every((c) => typeof c === "number" && Number.isInteger(c) && c >= 0)
    ) {
      const total = (counts as number[]).reduce((a, b) => a + b, 0);
      if (total !== h * w)
        throw new RangeError(`counts sum to ${total}, but a ${h}x${w} mask has ${h * w} pixels`);
      return { size: [h, w], counts: counts as number[] };
    }
  } catch (error) {
    throw new MuseFormatError(`${where}.counts: ${(error as Error).message}`);
  }
  throw new MuseFormatError(
    `${where}.counts: expected a list of non-negative run lengths (or a compressed COCO string), got ${describe(counts)}`,
  );
}

/**
 * A MUSE image record after validation (spec §6; `multi_reason_seg_val_dataset.py`): one image,
 * its questions, and for each question the targets whose masks the answer must segment.
 */
import type { Rle } from "@pixellm/image";

/** One part of a target's `segmentation`: a COCO polygon `[x0,y0,x1,y1,…]` or an RLE mask. */
export type SegmentationPart =
  { readonly kind: "polygon"; readonly xy: readonly number[] } | { readonly kind: "rle"; readonly rle: Rle };

/**
 * A target's mask as parts that are decoded and summed pixel by pixel, as `mask.frPyObjects` →
 * `mask.decode` → `np.sum(axis=2)` → `astype(uint8)` does: a polygon list has a part per polygon,
 * an RLE object is a single part.
 */
export type Segmentation = readonly SegmentationPart[];

export interface MuseTarget {
  readonly segmentation: Segmentation;
  /** `category_name`, or `rephrased_name` when present (for reports only). */
  readonly name: string;
}

export interface MuseQuestion {
  /** Position in the record's `questions`. */
  readonly index: number;
  readonly text: string;
  readonly targets: readonly MuseTarget[];
  /** The reference answer with one `{seg}` per target, when the record has `text_answers`. */
  readonly textAnswer?: string;
  /**
   * The kind of reasoning the question takes, from `question_families` when the record has it
   * (not a MUSE field: our synthetic generator writes it), for score breakdowns.
   */
  readonly family?: string;
}

export interface MuseRecord {
  /** Position in the file's list (0-based). */
  readonly index: number;
  /** `file_name` if present, else the last path segment of `coco_url` (the official rule). */
  readonly imageName: string;
  /** The official directory under the dataset root, from `file_name` / `coco_url`. */
  readonly officialImageDir: string;
  readonly height: number;
  readonly width: number;
  readonly questions: readonly MuseQuestion[];
}

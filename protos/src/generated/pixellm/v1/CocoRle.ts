// Original file: pixellm/v1/stages.proto

/**
 * A binary mask as COCO run-length encoding (pycocotools-compatible, column-major counts).
 */
export interface CocoRle {
  /**
   * [height, width]
   */
  size?: number[];
  /**
   * Compressed counts string, as pycocotools' rleToString writes it.
   */
  counts?: string;
}

/**
 * A binary mask as COCO run-length encoding (pycocotools-compatible, column-major counts).
 */
export interface CocoRle__Output {
  /**
   * [height, width]
   */
  size: number[];
  /**
   * Compressed counts string, as pycocotools' rleToString writes it.
   */
  counts: string;
}

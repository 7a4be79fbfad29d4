/**
 * What `pixellm eval` needs from a model, whichever way it is reached: one question about one
 * image in, the answer text and its masks (COCO RLE at the image's size, in answer order) out.
 */
export interface SegmentedAnswer {
  readonly text: string;
  readonly image: { readonly width: number; readonly height: number };
  /** COCO RLE: `size` [height, width], compressed `counts`. */
  readonly masks: readonly { readonly size: readonly number[]; readonly counts: string }[];
}

export interface QuestionSegmenter {
  /** For the report: which model, reached how. */
  readonly description: string;
  segment(image: Uint8Array, query: string): Promise<SegmentedAnswer>;
  close(): Promise<void>;
}

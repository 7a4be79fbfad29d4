/**
 * gIoU and cIoU over images, accumulated as `ar_validate` does with its meters:
 *  - per image (MUSE record, all its questions): acc_iou = Σ pair IoU, max_num = max(#predicted
 *    masks, #targets) over the whole image; the gIoU meter adds acc_iou / max_num with weight
 *    max_num, the intersection and union meters add Σ I and Σ U;
 *  - gIoU = meter sum / (Σ max_num + 1e-5) (the `all_reduce` average), cIoU = Σ I / (Σ U + 1e-10).
 * An image with no predictions and no targets (max_num = 0) is skipped: the official code would
 * divide by zero there.
 */
import type { QuestionScore } from "./score-question";

export interface ImageScore {
  /** Σ pair IoU over the image's questions. */
  readonly accIou: number;
  /** max(#predicted masks, #targets) over the image's questions. */
  readonly maxNum: number;
  readonly intersection: number;
  readonly union: number;
}

export interface MetricSummary {
  readonly gIoU: number;
  readonly cIoU: number;
  /** Images that counted (max_num > 0). */
  readonly images: number;
  readonly questions: number;
  readonly targets: number;
  readonly predictions: number;
  readonly intersection: number;
  readonly union: number;
}

export function scoreImage(questions: readonly QuestionScore[]): ImageScore {
  let accIou = 0;
  let intersection = 0;
  let union = 0;
  let predictions = 0;
  let targets = 0;
  for (const q of questions) {
    predictions += q.predictions;
    targets += q.targets;
    for (const pair of q.pairs) {
      accIou += pair.iou;
      intersection += pair.intersection;
      union += pair.union;
    }
  }
  return { accIou, maxNum: Math.max(predictions, targets), intersection, union };
}

export class MuseMetric {
  private giouSum = 0;
  private giouCount = 0;
  private intersection = 0;
  private union = 0;
  private images = 0;
  private questions = 0;
  private targets = 0;
  private predictions = 0;

  /** Adds one image's questions (all of them, or the subset a breakdown is about). */
  addImage(questions: readonly QuestionScore[]): ImageScore {
    const image = scoreImage(questions);
    this.questions += questions.length;
    for (const q of questions) {
      this.targets += q.targets;
      this.predictions += q.predictions;
    }
    if (image.maxNum === 0) return image;
    this.giouSum += (image.accIou / image.maxNum) * image.maxNum;
    this.giouCount += image.maxNum;
    this.intersection += image.intersection;
    this.union += image.union;
    this.images++;
    return image;
  }

  summary(): MetricSummary {
    return {
      gIoU: this.giouSum / (this.giouCount + 1e-5),
      cIoU: this.intersection / (this.union + 1e-10),
      images: this.images,
      questions: this.questions,
      targets: this.targets,
      predictions: this.predictions,
      intersection: this.intersection,
      union: this.union,
    };
  }
}

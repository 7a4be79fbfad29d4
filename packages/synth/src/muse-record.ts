/**
 * A scene and its questions as one MUSE image record (spec §6): every shape in `ann_list`, the
 * targets of each question in `answers`, and `text_answers` with one `{seg}` per target. A shape
 * drawn whole is stored as its COCO polygon; a partly covered one as the uncompressed RLE of its
 * visible pixels (`{size, counts}`), the two forms the official loader reads.
 */
import { encodeRle, rleToBbox } from "@pixellm/image";
import { objectName, type Question, type QuestionFamily } from "./questions";
import type { Scene, SceneObject } from "./scene";
import { SHAPE_INFO } from "./shapes";

export type Segmentation = number[][] | { size: [number, number]; counts: number[] };

export interface MuseAnnotation {
  id: number;
  category_id: number;
  category_name: string;
  rephrased_name: string;
  bbox: [number, number, number, number];
  area: number;
  iscrowd: 0;
  segmentation: Segmentation;
}

export interface MuseRecord {
  file_name: string;
  image_id: number;
  height: number;
  width: number;
  ann_list: MuseAnnotation[];
  questions: string[];
  answers: MuseAnnotation[][];
  text_answers: string[];
  /** Not in MUSE: the reasoning each question takes, for score breakdowns. */
  question_families: QuestionFamily[];
}

function annotation(o: SceneObject, scene: Scene): MuseAnnotation {
  const rle = encodeRle(o.mask, scene.height, scene.width);
  return {
    id: o.index,
    category_id: SHAPE_INFO[o.kind].categoryId,
    category_name: o.kind,
    rephrased_name: objectName(o),
    bbox: rleToBbox(rle),
    area: o.visibleArea,
    iscrowd: 0,
    segmentation: o.occluded ? { size: [scene.height, scene.width], counts: [...rle.counts] } : [o.polygon],
  };
}

export function museRecord(
  scene: Scene,
  questions: readonly Question[],
  fileName: string,
  imageId: number,
): MuseRecord {
  const annotations = scene.objects.map((o) => annotation(o, scene));
  return {
    file_name: fileName,
    image_id: imageId,
    height: scene.height,
    width: scene.width,
    ann_list: annotations,
    questions: questions.map((q) => q.text),
    answers: questions.map((q) => q.targets.map((t) => annotations[t.index]!)),
    text_answers: questions.map((q) => q.answer),
    question_families: questions.map((q) => q.family),
  };
}

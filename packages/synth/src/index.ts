export { Rng } from "./rng";
export { type Scene, type SceneObject, type Background, sampleScene } from "./scene";
export { type Question, type QuestionFamily, MAX_TARGETS, askQuestions, objectName } from "./questions";
export { type MuseRecord, type MuseAnnotation, type Segmentation, museRecord } from "./muse-record";
export { renderScenePng, sceneSvg } from "./render";
export { type DatasetOptions, type SplitName, type SplitSummary, makeExample, writeDataset } from "./dataset";
export { SHAPE_INFO, SHAPE_KINDS, type ShapeKind } from "./shapes";
export { COLOUR_NAMES, type ColourName } from "./palette";

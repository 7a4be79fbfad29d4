export { MuseFormatError } from "./errors";
export type { MuseQuestion, MuseRecord, MuseTarget, Segmentation, SegmentationPart } from "./record";
export { SEG_PLACEHOLDER, parseRecords } from "./parse-records";
export { loadMuseFile } from "./load-file";
export { imageCandidates, resolveImagePath } from "./image-path";
export { targetMask } from "./target-mask";
export { type CostMatrix, costMatrix, minimumAssignment } from "./hungarian";
export { type MatchedPair, TIE_TOLERANCE, matchPredictions } from "./assignment";
export { matchingCost } from "./matching-cost";
export { type PairOverlap, type PairScore, pairIou, pairOverlap } from "./pair-overlap";
export { type QuestionScore, scoreQuestion } from "./score-question";
export { type ImageScore, type MetricSummary, MuseMetric, scoreImage } from "./metric";
export {
  DEFAULT_PROMPT_SEED,
  EVAL_MAX_NEW_TOKENS,
  EVAL_PROMPT_SUFFIXES,
  FEW_TARGETS_MAX,
  evaluationPrompts,
} from "./eval-protocol";

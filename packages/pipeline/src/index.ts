export { formatAnswer, placeholder, type AnswerText } from "./answer";
export {
  prepareImage,
  promptIdsForQuery,
  reservedTokens,
  DEFAULT_QUERY_LIMITS,
  type PreparedImage,
  type QueryLimits,
} from "./request-input";
export {
  embeddedLength,
  sequencePositions,
  type PositionLimits,
  type SequenceLength,
  type SequencePositions,
} from "./sequence-positions";
export { checkMaskBudget, codebookStateCount, maskTargets } from "./mask-budget";
export { codebookPositions } from "./codebook";

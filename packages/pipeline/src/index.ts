export { formatAnswer, placeholder, type AnswerText } from "./answer";
export {
  prepareImage,
  promptIdsForQuery,
  reservedTokens,
  DEFAULT_QUERY_LIMITS,
  type PreparedImage,
  type QueryLimits,
} from "./request-input";

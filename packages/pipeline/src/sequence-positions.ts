/**
 * How many LLM positions a request occupies, and the one rule that admits it: the llm's
 * scheduler applies it to every sequence it is given, and the gateway's admission applies it
 * before vision runs, so a request that the LLM would refuse never costs a vision pass.
 *
 * A generated answer is projected to the model's context: max_new_tokens beyond it end the
 * answer early (finish reason max_context) rather than refusing it. A teacher-forced answer has
 * a known length and must fit whole.
 */
import { EngineError } from "@pixellm/errors";

export interface PositionLimits {
  /** Embeddings the image placeholder becomes (manifest `geometry.llmImageTokens`). */
  readonly imageTokens: number;
  /** The model's context (config `max_position_embeddings`). */
  readonly maxPositions: number;
  /** KV positions the llm gives one sequence at most (LLM_KV_BUDGET_TOKENS); absent: not known here. */
  readonly kvBudgetTokens?: number;
}

export interface SequenceLength {
  /** Prompt ids, with the one image placeholder. */
  readonly promptLength: number;
  /** Teacher-forced answer ids; absent when the answer is generated. */
  readonly answerLength?: number;
  readonly maxNewTokens: number;
}

export interface SequencePositions {
  /** The prompt with the image spliced in. */
  readonly promptPositions: number;
  /** Positions the sequence may reach: what its KV cache row must hold. */
  readonly finalLength: number;
}

/** Embedded length of a prompt: the -200 placeholder becomes `imageTokens` embeddings. */
export function embeddedLength(promptLength: number, imageTokens: number): number {
  return promptLength - 1 + imageTokens;
}

/** The positions a sequence needs; INVALID_ARGUMENT (permanent: retrying cannot help) when they do not fit. */
export function sequencePositions(sequence: SequenceLength, limits: PositionLimits): SequencePositions {
  const { promptLength, answerLength, maxNewTokens } = sequence;
  const { imageTokens, maxPositions, kvBudgetTokens } = limits;
  const promptPositions = embeddedLength(promptLength, imageTokens);
  const forced = answerLength ?? 0;
  if (promptPositions + forced > maxPositions) {
    throw new EngineError(
      "invalid_argument",
      `the prompt needs ${promptPositions + forced} positions (${promptLength - 1} prompt ids, ` +
        `${imageTokens} for the image${answerLength === undefined ? "" : `, ${answerLength} answer ids`}); ` +
        `the model has ${maxPositions}: shorten the question${answerLength === undefined ? "" : " or the answer ids"}`,
    );
  }
  if (answerLength === undefined && (!Number.isInteger(maxNewTokens) || maxNewTokens < 1)) {
    throw new EngineError(
      "invalid_argument",
      `max_new_tokens must be a positive integer (got ${maxNewTokens})`,
    );
  }
  const finalLength =
    answerLength === undefined
      ? Math.min(maxPositions, promptPositions + maxNewTokens)
      : promptPositions + answerLength;
  if (kvBudgetTokens !== undefined && finalLength > kvBudgetTokens) {
    throw new EngineError(
      "invalid_argument",
      `the sequence needs ${finalLength} KV positions (${promptPositions} for the prompt and image, ` +
        `${finalLength - promptPositions} for the answer); the llm's KV budget is ${kvBudgetTokens} ` +
        `(LLM_KV_BUDGET_TOKENS): lower max_new_tokens or shorten the question`,
    );
  }
  return { promptPositions, finalLength };
}

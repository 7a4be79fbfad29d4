/**
 * The budget rules the gateway and the stages share: positions of a sequence against the model's
 * context and the llm's KV budget, and targets × pixels against the mask budget.
 */
import { EngineError } from "@pixellm/errors";
import { describe, expect, it } from "vitest";
import { checkMaskBudget, codebookStateCount, maskTargets, sequencePositions } from "../src";

const LIMITS = { imageTokens: 256, maxPositions: 2048 };

function refusal(run: () => unknown): EngineError {
  try {
    run();
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error("not refused");
}

describe("sequencePositions", () => {
  it("counts the image placeholder as the image's positions and projects generation to the context", () => {
    expect(sequencePositions({ promptLength: 10, maxNewTokens: 100 }, LIMITS)).toEqual({
      promptPositions: 265,
      finalLength: 365,
    });
    // max_new_tokens beyond the context end the answer there, as the llm does.
    expect(sequencePositions({ promptLength: 10, maxNewTokens: 5000 }, LIMITS).finalLength).toBe(2048);
    expect(sequencePositions({ promptLength: 10, answerLength: 20, maxNewTokens: 1 }, LIMITS)).toEqual({
      promptPositions: 265,
      finalLength: 285,
    });
  });

  it("refuses a prompt, or a prompt and forced answer, beyond the context, naming the numbers", () => {
    const prompt = refusal(() => sequencePositions({ promptLength: 1794, maxNewTokens: 1 }, LIMITS));
    expect(prompt.code).toBe("invalid_argument");
    expect(prompt.message).toBe(
      "the prompt needs 2049 positions (1793 prompt ids, 256 for the image); the model has 2048: shorten the question",
    );
    expect(() => sequencePositions({ promptLength: 1793, maxNewTokens: 1 }, LIMITS)).not.toThrow();
    const forced = refusal(() =>
      sequencePositions({ promptLength: 10, answerLength: 1784, maxNewTokens: 1 }, LIMITS),
    );
    expect(forced.message).toContain(
      "(9 prompt ids, 256 for the image, 1784 answer ids); the model has 2048",
    );
  });

  it("refuses a sequence beyond the llm's KV budget, where it is known, as permanent", () => {
    const limits = { ...LIMITS, kvBudgetTokens: 1024 };
    expect(sequencePositions({ promptLength: 10, maxNewTokens: 759 }, limits).finalLength).toBe(1024);
    const error = refusal(() => sequencePositions({ promptLength: 10, maxNewTokens: 760 }, limits));
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toBe(
      "the sequence needs 1025 KV positions (265 for the prompt and image, 760 for the answer); " +
        "the llm's KV budget is 1024 (LLM_KV_BUDGET_TOKENS): lower max_new_tokens or shorten the question",
    );
  });

  it("refuses a max_new_tokens that is not a positive integer when the answer is generated", () => {
    expect(refusal(() => sequencePositions({ promptLength: 10, maxNewTokens: 0 }, LIMITS)).message).toBe(
      "max_new_tokens must be a positive integer (got 0)",
    );
  });
});

describe("the mask budget", () => {
  it("counts targets as whole codebook groups of SEG ids after the first position", () => {
    const seg = new Set([612, 613]);
    expect(codebookStateCount([612, 5, 612, 613, 7, 613], seg)).toBe(3);
    expect(maskTargets(6, 6)).toBe(1);
    expect(maskTargets(12, 6)).toBe(2);
    expect(maskTargets(7, 6)).toBe(0); // not whole groups: the masks are dropped
  });

  it("allows targets × pixels up to the cap and refuses beyond it, saying how many fit", () => {
    expect(() => checkMaskBudget(5, [500, 400], 1_000_000, "answer_ids name")).not.toThrow();
    const error = refusal(() => checkMaskBudget(5, [500, 400], 999_999, "answer_ids name"));
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toBe(
      "answer_ids name 5 targets: 5 masks of 400x500 are 1000000 pixels, over the 999999 a request " +
        "may make (GATEWAY_MAX_MASK_PIXELS); at this image size 4 fit: send a smaller image or ask for fewer targets",
    );
  });
});

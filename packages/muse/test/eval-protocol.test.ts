import { describe, expect, it } from "vitest";
import { EVAL_PROMPT_SUFFIXES, evaluationPrompts } from "../src";

describe("evaluationPrompts", () => {
  const questions = Array.from({ length: 200 }, (_, i) => `Question ${i}?`);

  it("appends one of the two official requests, from a seeded stream", () => {
    const prompts = evaluationPrompts(questions, 0);
    prompts.forEach((p, i) => expect(EVAL_PROMPT_SUFFIXES.map((s) => `Question ${i}? ${s}`)).toContain(p));
    const responds = prompts.filter((p) => p.endsWith(EVAL_PROMPT_SUFFIXES[0])).length;
    // Fair coin over 200 draws: far from all-or-nothing.
    expect(responds).toBeGreaterThan(60);
    expect(responds).toBeLessThan(140);
    expect(evaluationPrompts(questions, 0)).toEqual(prompts);
    expect(evaluationPrompts(questions, 1)).not.toEqual(prompts);
  });

  it("gives the first N questions the prompts of a full run (--limit)", () => {
    expect(evaluationPrompts(questions.slice(0, 17), 0)).toEqual(
      evaluationPrompts(questions, 0).slice(0, 17),
    );
  });
});

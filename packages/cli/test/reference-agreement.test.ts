import { describe, expect, it } from "vitest";
import { matchesReference } from "../src/eval/reference-agreement";

describe("matchesReference", () => {
  it("matches an answer that says the reference with its own spacing", () => {
    expect(matchesReference("Sure, the red ball <mask:0> .", "Sure, the red ball {seg}.")).toBe(true);
    expect(
      matchesReference(
        "Sure, the red ball <mask:0> and the blue star <mask:1> .",
        "Sure, the red ball {seg} and the blue star {seg}.",
      ),
    ).toBe(true);
  });

  it("tells a wrong object, a wrong order or a wrong number of targets apart", () => {
    const reference = "Sure, the red ball {seg} and the blue star {seg}.";
    expect(matchesReference("Sure, the red ball <mask:0> and the red star <mask:1> .", reference)).toBe(
      false,
    );
    expect(matchesReference("Sure, the blue star <mask:0> and the red ball <mask:1> .", reference)).toBe(
      false,
    );
    expect(matchesReference("Sure, the red ball <mask:0> .", reference)).toBe(false);
    // Placeholders are numbered: the same words with the masks swapped are another answer.
    expect(matchesReference("Sure, the red ball <mask:1> and the blue star <mask:0> .", reference)).toBe(
      false,
    );
  });

  it("does not match an answer whose codebook tokens did not form whole groups", () => {
    // The pipeline leaves the raw tokens in the text then (answer.ts), and returns no masks.
    expect(matchesReference("Sure, the red ball [SEG0][SEG1] .", "Sure, the red ball {seg}.")).toBe(false);
  });
});

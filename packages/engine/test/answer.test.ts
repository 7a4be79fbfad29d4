import { describe, expect, it } from "vitest";
import { formatAnswer, placeholder } from "../src";

const TOKENS = ["[SEG0]", "[SEG1]", "[SEG2]", "[SEG3]", "[SEG4]", "[SEG5]"];
const GROUP = TOKENS.join(" ");

const at = (text: string, span: readonly [number, number]) => text.slice(span[0], span[1]);

describe("formatAnswer", () => {
  it("replaces one codebook group by a placeholder and drops the trailing </s>", () => {
    const raw = `Sure, the segmentation result of dog are ${GROUP}.</s>`;
    const answer = formatAnswer(raw, TOKENS, 1, "</s>");
    expect(answer.text).toBe("Sure, the segmentation result of dog are <mask:0>.");
    expect(answer.rawText).toBe(raw);
    expect(answer.spans).toEqual([[41, 49]]);
    expect(at(answer.text, answer.spans[0]!)).toBe(placeholder(0));
  });

  it("numbers interleaved groups in order, with spans into the shortened text", () => {
    const raw = `The cat is ${GROUP} and the two dogs are ${GROUP}, ${GROUP}. </s>`;
    const answer = formatAnswer(raw, TOKENS, 3, "</s>");
    expect(answer.text).toBe("The cat is <mask:0> and the two dogs are <mask:1>, <mask:2>.");
    expect(answer.spans).toHaveLength(3);
    answer.spans.forEach((span, k) => expect(at(answer.text, span)).toBe(`<mask:${k}>`));
  });

  it("keeps the raw tokens when the count is not a whole number of groups or there are no targets", () => {
    const seven = `Here ${GROUP} [SEG0].</s>`;
    expect(formatAnswer(seven, TOKENS, 1, "</s>")).toEqual({
      text: `Here ${GROUP} [SEG0].`,
      rawText: seven,
      spans: [],
    });
    const one = `Here ${GROUP}.</s>`;
    expect(formatAnswer(one, TOKENS, 0, "</s>")).toEqual({ text: `Here ${GROUP}.`, rawText: one, spans: [] });
    expect(formatAnswer(one, TOKENS, 2, "</s>").spans).toEqual([]);
  });

  it("removes </s> only at the end", () => {
    expect(formatAnswer("no mask here", TOKENS, 0, "</s>").text).toBe("no mask here");
    expect(formatAnswer("a </s> b", TOKENS, 0, "</s>").text).toBe("a </s> b");
    expect(formatAnswer("done   </s>", TOKENS, 0, "</s>").text).toBe("done");
  });

  it("treats codebook token names literally, not as patterns", () => {
    // Unescaped, "[SEG0]" would be a character class matching "S", "E", "G" or "0".
    const answer = formatAnswer(`SEG 0 is ${GROUP}</s>`, TOKENS, 1, "</s>");
    expect(answer.text).toBe("SEG 0 is <mask:0>");
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_TOKEN_INDEX, buildPrompt, decodeChatOutput, loadTokenizer, tokenizerImageToken } from "../src";
import type { LlamaTokenizer, LlamaTokenizerInfo } from "../src";
import { removeTempDirs, tinyTokenizerDir } from "./support";

let tokenizer: LlamaTokenizer;
let info: LlamaTokenizerInfo;

beforeAll(async () => {
  const tiny = await tinyTokenizerDir();
  info = tiny.info;
  tokenizer = await loadTokenizer(tiny.dir);
});

afterAll(removeTempDirs);

describe("llava_v1 prompt", () => {
  it("is the single-turn template with the image wrapped in <im_start>/<im_end>", () => {
    expect(buildPrompt("Please segment the dog.")).toBe(
      "A chat between a curious human and an artificial intelligence assistant. The assistant gives " +
        "helpful, detailed, and polite answers to the human's questions. USER: " +
        "<im_start><image><im_end>\nPlease segment the dog. ASSISTANT:",
    );
  });

  it("wraps every <image>, also one in the user text, like chat.py's str.replace", () => {
    expect(buildPrompt("a <image> b")).toMatch(/<im_end>\na <im_start><image><im_end> b ASSISTANT:$/);
  });
});

describe("tokenizerImageToken", () => {
  it("is [BOS] + chunk1[1:] + [-200] + chunk2[1:]", () => {
    const prompt = buildPrompt("Please segment the dog.");
    const [before, after] = prompt.split("<image>") as [string, string];
    const ids = tokenizerImageToken(tokenizer, prompt);
    expect(ids).toEqual([
      ...tokenizer.encode(before),
      IMAGE_TOKEN_INDEX,
      ...tokenizer.encode(after).slice(1),
    ]);
    expect(ids.filter((id) => id === 1)).toHaveLength(1);
    expect(ids.indexOf(IMAGE_TOKEN_INDEX)).toBe(ids.lastIndexOf(IMAGE_TOKEN_INDEX));
  });

  it("has <im_start> right before the image and the question right after <im_end> (newline stripped)", () => {
    const ids = tokenizerImageToken(tokenizer, buildPrompt("Please segment the dog."));
    const at = ids.indexOf(IMAGE_TOKEN_INDEX);
    const names = (slice: number[]): string[] => slice.map((id) => tokenizer.idToPiece(id));
    expect(ids[0]).toBe(1);
    expect(names(ids.slice(1, 4))).toEqual(["▁A", "▁chat", "▁between"]);
    expect(names(ids.slice(at - 3, at))).toEqual(["▁USER", ":", "<im_start>"]);
    expect(names(ids.slice(at + 1))).toEqual([
      "<im_end>",
      "▁Please",
      "▁segment",
      "▁the",
      "▁dog",
      ".",
      "▁ASSISTANT",
      ":",
    ]);
    expect(ids[at - 1]).toBe(info.addedTokens["<im_start>"]);
  });

  it("puts one -200 per <image> and none without one", () => {
    expect(tokenizerImageToken(tokenizer, "no image here")).toEqual(tokenizer.encode("no image here"));
    const two = tokenizerImageToken(tokenizer, buildPrompt("and <image> too"));
    expect(two.filter((id) => id === IMAGE_TOKEN_INDEX)).toHaveLength(2);
    expect(two.filter((id) => id === 1)).toHaveLength(1);
  });
});

describe("decodeChatOutput", () => {
  it("drops -200, newlines and double spaces like chat.py", () => {
    const prompt = tokenizerImageToken(tokenizer, buildPrompt("Where is the dog?"));
    const answer = tokenizer.encode("Sure, it is [SEG0] [SEG1] [SEG2] [SEG3] [SEG4] [SEG5].", {
      addSpecialTokens: false,
    });
    const text = decodeChatOutput(tokenizer, [...prompt, ...answer, 2]);
    expect(text).toBe(
      "<s>A chat between a curious human and an artificial intelligence assistant. The assistant gives " +
        "helpful, detailed, and polite answers to the human's questions. USER: <im_start> <im_end> Where is " +
        "the dog? ASSISTANT: Sure, it is [SEG0] [SEG1] [SEG2] [SEG3] [SEG4] [SEG5] .</s>",
    );
    expect(decodeChatOutput(tokenizer, tokenizer.encode("a\nb", { addSpecialTokens: false }))).toBe("ab");
  });
});

import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenizerError, loadTokenizer } from "../src";
import { emptyDir, removeTempDirs, tinyTokenizerDir } from "./support";

let tiny: string;

beforeAll(async () => {
  ({ dir: tiny } = await tinyTokenizerDir());
});

afterAll(removeTempDirs);

/** A copy of the tiny tokenizer directory with some files replaced (null = removed). */
async function variant(files: Record<string, string | Uint8Array | null>): Promise<string> {
  const dir = await emptyDir();
  const names = ["tokenizer.model", "added_tokens.json", "tokenizer_config.json", "special_tokens_map.json"];
  for (const name of names) if (!(name in files)) await copyFile(join(tiny, name), join(dir, name));
  for (const [name, content] of Object.entries(files))
    if (content !== null) await writeFile(join(dir, name), content);
  return dir;
}

describe("loadTokenizer errors", () => {
  it("names the directory when no tokenizer file is there", async () => {
    const dir = await emptyDir();
    await expect(loadTokenizer(dir)).rejects.toThrow(TokenizerError);
    await expect(loadTokenizer(dir)).rejects.toThrow(`${dir} has neither tokenizer.model nor tokenizer.json`);
    await expect(loadTokenizer(join(dir, "missing"))).rejects.toThrow(
      /has neither tokenizer\.model nor tokenizer\.json/,
    );
  });

  it("names a malformed tokenizer.model by path", async () => {
    const dir = await variant({ "tokenizer.model": Uint8Array.from([0x0a, 0x80]) });
    await expect(loadTokenizer(dir)).rejects.toThrow(
      `${join(dir, "tokenizer.model")} is not a SentencePiece model`,
    );
  });

  it("reports invalid JSON and wrong types in the JSON files", async () => {
    await expect(loadTokenizer(await variant({ "tokenizer_config.json": "{" }))).rejects.toThrow(
      /tokenizer_config\.json is not valid JSON/,
    );
    await expect(loadTokenizer(await variant({ "added_tokens.json": "[1, 2]" }))).rejects.toThrow(
      /added_tokens\.json must be a JSON object/,
    );
    await expect(loadTokenizer(await variant({ "added_tokens.json": '{"[SEG0]": "x"}' }))).rejects.toThrow(
      /added_tokens\.json: "\[SEG0\]" must be an integer/,
    );
  });

  it("refuses added token ids that do not continue the vocabulary, like transformers 4.31", async () => {
    const added = JSON.parse(await readFile(join(tiny, "added_tokens.json"), "utf8")) as Record<
      string,
      number
    >;
    added["[SEG0]"] = added["[SEG0]"]! + 100;
    await expect(
      loadTokenizer(await variant({ "added_tokens.json": JSON.stringify(added) })),
    ).rejects.toThrow(
      /added token "\[SEG1\]" has id \d+ but should have \d+ \(added tokens take consecutive ids/,
    );
  });

  it("refuses configurations whose encoding this package does not reproduce", async () => {
    await expect(
      loadTokenizer(await variant({ "tokenizer_config.json": '{"legacy": false}' })),
    ).rejects.toThrow(/legacy=false selects transformers' non-legacy/);
    await expect(
      loadTokenizer(await variant({ "tokenizer_config.json": '{"tokenizer_class": "BertTokenizer"}' })),
    ).rejects.toThrow(/tokenizer_class "BertTokenizer" is not a LLaMA tokenizer/);
  });

  it("reports an unreadable file instead of treating it as missing", async () => {
    const dir = await variant({ "tokenizer.model": null });
    await mkdir(join(dir, "tokenizer.model"));
    await expect(loadTokenizer(dir)).rejects.toThrow(/cannot read .*tokenizer\.model/);
  });
});

describe("special_tokens_map.json semantics", () => {
  it("strips around a special token given as a plain string there (4.31 setattr of a str)", async () => {
    const plainBos = await variant({
      "special_tokens_map.json": '{"bos_token": "<s>", "eos_token": "</s>"}',
    });
    const defaults = await loadTokenizer(tiny);
    const plain = await loadTokenizer(plainBos);
    const id = (p: string): number => defaults.pieceToId(p);
    expect(defaults.encode("a <s> b")).toEqual([1, id("▁a"), id("▁"), 1, id("▁"), id("▁b")]);
    expect(plain.encode("a <s> b")).toEqual([1, id("▁a"), 1, id("▁b")]);
  });

  it("honours lstrip/rstrip of an AddedToken and makes additional special tokens skippable", async () => {
    const dir = await variant({
      "special_tokens_map.json": JSON.stringify({
        eos_token: { content: "</s>", lstrip: true, rstrip: false },
        additional_special_tokens: ["<im_start>"],
      }),
    });
    const tokenizer = await loadTokenizer(dir);
    const id = (p: string): number => tokenizer.pieceToId(p);
    expect(tokenizer.encode("a </s> b", { addSpecialTokens: false })).toEqual([
      id("▁a"),
      2,
      id("▁"),
      id("▁b"),
    ]);
    const imStart = id("<im_start>");
    expect(tokenizer.decode([imStart, id("▁What")], { skipSpecialTokens: true })).toBe("What");
    expect(tokenizer.isSpecialId(imStart)).toBe(true);
  });
});

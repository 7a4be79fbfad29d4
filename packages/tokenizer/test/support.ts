import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyTokenizer } from "../src";
import type { LlamaTokenizerInfo } from "../src";

const created: string[] = [];

export async function emptyDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pixellm-tokenizer-"));
  created.push(dir);
  return dir;
}

export async function tinyTokenizerDir(): Promise<{ dir: string; info: LlamaTokenizerInfo }> {
  const dir = await emptyDir();
  return { dir, info: await writeTinyTokenizer(dir) };
}

/** Removes the directories this test file created; pass to `afterAll`. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/**
 * Runs a Python snippet with Debian's sentencepiece (python3-sentencepiece 0.1.97, an independent
 * reference installed by the setup script); `input` is passed as JSON on stdin, stdout is parsed
 * as JSON.
 */
export function python(script: string, args: readonly string[], input: unknown): unknown {
  const out = execFileSync("/usr/bin/python3", ["-c", script, ...args], {
    input: JSON.stringify(input),
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.toString("utf8")) as unknown;
}

/** Deterministic pseudo-random integers (mulberry32). */
export function seededRandom(seed: number): (below: number) => number {
  let a = seed >>> 0;
  return (below) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below) | 0;
  };
}

/** Strings that exercise normalisation, byte fallback and whitespace handling. */
export const TRICKY_STRINGS: readonly string[] = [
  "",
  " ",
  "   ",
  "\n",
  "Hello world",
  "  leading spaces",
  "trailing spaces  ",
  "two  spaces   three",
  "line one\nline two\n\nline four",
  "\ttab\tseparated",
  "Sure, it is the dog.",
  "Please segment the red car. Where is the apple?",
  "What is in the image? Please output segmentation mask.",
  "USER: ASSISTANT:",
  "héllo wörld Ünïcödé",
  "日本語のテキスト",
  "emoji 😀 👍🏽 🇩🇪 ok",
  "mixed123abc 2024-01-01",
  "....!!!???,,,",
  "aaaa bbbb aaaaaaa",
  "▁already▁escaped ▁",
  "x\u0000y\u0001z",
  "\u00a0non-breaking\u3000ideographic",
  "<image> <s> </s> <unk>",
  "[SEG0] [SEG1]",
  "The apple and the pear are ripe.",
];

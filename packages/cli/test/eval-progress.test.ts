import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { EvalProgress, formatDuration } from "../src/eval/eval-progress";

function capture(interactive: boolean) {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return {
    progress: new EvalProgress(stream as unknown as NodeJS.WriteStream, interactive),
    text: () => text,
  };
}

describe("EvalProgress", () => {
  it("prints plain lines off a terminal: none while fresh, one at the end", () => {
    const { progress, text } = capture(false);
    progress.update(1, 10, 0);
    progress.update(10, 10, 2);
    expect(text()).toMatch(/^eval: 10\/10 questions {2}\d+\.\d\d q\/s {2}ETA 0s {2}2 failed\n$/);
  });

  it("redraws a bar with an ETA on a terminal and clears it when done", () => {
    const { progress, text } = capture(true);
    progress.update(10, 10, 0);
    progress.finish();
    const clear = "\r\u001b[2K";
    expect(text().startsWith(`${clear}eval [${"#".repeat(30)}] 100% 10/10 questions `)).toBe(true);
    expect(text().endsWith(`ETA 0s${clear}`)).toBe(true);
  });

  it("formats durations", () => {
    expect([5, 75, 3725].map(formatDuration)).toEqual(["5s", "1m15s", "1h02m"]);
  });
});

import { describe, expect, it, vi } from "vitest";
import { TokenStream } from "../src/token-stream";

describe("TokenStream", () => {
  it("sends each token at once with flushMs 0", () => {
    const sent: number[][] = [];
    const stream = new TokenStream((ids) => sent.push(ids), 0);
    for (const t of [5, 6, 7]) stream.push(t);
    expect(sent).toEqual([[5], [6], [7]]);
  });

  it("coalesces tokens within the flush interval, in order, and flushes what is left on demand", () => {
    vi.useFakeTimers();
    try {
      const sent: number[][] = [];
      const stream = new TokenStream((ids) => sent.push(ids), 20);
      stream.push(1);
      stream.push(2);
      expect(sent).toEqual([]);
      vi.advanceTimersByTime(20);
      expect(sent).toEqual([[1, 2]]);
      stream.push(3);
      stream.flush();
      stream.flush();
      expect(sent).toEqual([[1, 2], [3]]);
      vi.advanceTimersByTime(100);
      expect(sent).toEqual([[1, 2], [3]]);
    } finally {
      vi.useRealTimers();
    }
  });
});

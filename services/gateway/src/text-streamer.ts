/**
 * Incremental detokenisation for streamed answers: each push returns the text added since the
 * last one (as chat.py would print it), holding back a trailing replacement character until the
 * bytes of a split UTF-8 character have all arrived.
 */
import { type LlamaTokenizer, decodeChatOutput } from "@pixellm/tokenizer";

export class TextStreamer {
  private readonly ids: number[] = [];
  private sent = "";

  constructor(private readonly tokenizer: LlamaTokenizer) {}

  push(ids: readonly number[]): string {
    this.ids.push(...ids);
    let text = decodeChatOutput(this.tokenizer, this.ids);
    while (text.endsWith("\uFFFD")) text = text.slice(0, -1);
    // Decoding more ids can rewrite the tail (spaces around special tokens): wait until stable.
    if (!text.startsWith(this.sent)) return "";
    const delta = text.slice(this.sent.length);
    this.sent = text;
    return delta;
  }
}

/**
 * Coalesces a Generate stream's token deltas: a message every `flushMs` at most rather than
 * one per decode step. Each message costs serialisation and a socket write here and decoding,
 * publishing and queue events downstream — CPU the model competes for on a shared node — while
 * clients see text in 20 ms steps either way.
 */
export class TokenStream {
  private pending: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (ids: number[]) => void,
    private readonly flushMs: number,
  ) {}

  push(token: number): void {
    this.pending.push(token);
    if (this.flushMs === 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Sends what is pending now (before the final message, or when the stream ends). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const ids = this.pending;
    this.pending = [];
    this.send(ids);
  }
}

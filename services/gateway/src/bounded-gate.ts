/**
 * At most `running` tasks at once and at most `waiting` more in line: a task over both is
 * refused at once (RESOURCE_EXHAUSTED), so a burst cannot pile up unbounded memory behind a
 * slow resource. Waiters start in arrival order.
 */
import { EngineError } from "@pixellm/errors";

export interface GateLimits {
  readonly running: number;
  readonly waiting: number;
  /** What runs, and the settings that size the gate, for the refusal's message. */
  readonly describe: string;
}

export class BoundedGate {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly limits: GateLimits) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limits.running) {
      if (this.queue.length >= this.limits.waiting)
        throw new EngineError(
          "resource_exhausted",
          `${this.limits.describe} is at capacity (${this.active} running, ${this.queue.length} waiting); retry later`,
        );
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, so `active` never dips below the load.
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }

  get load(): { readonly running: number; readonly waiting: number } {
    return { running: this.active, waiting: this.queue.length };
  }
}

/**
 * The KV budget of the remote LLM replicas (each one's LLM_KV_BUDGET_TOKENS, from its Info), so
 * that admission refuses a request no replica could hold before it costs a queue place and a
 * vision pass, as the embedded mode does with its own llm; before, such a request was refused by
 * the llm (INVALID_ARGUMENT) only after both. Read from the healthy replicas at every health
 * interval; the smallest budget counts, since a request must fit whichever replica it lands on.
 * Undefined until a replica has answered: admission then leaves the check to the llm.
 */
import type { LLMGeneratorClient, StageInfo__Output } from "@pixellm/api";
import { type Logger, unaryCall } from "@pixellm/service-kit";
import type { ReplicaPool } from "./replica-pool";

export class LlmKvBudgets {
  private readonly budgets = new Map<string, number>();
  /** The smallest of `budgets` over the replicas the pool knows, as of the last refresh. */
  private smallest: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: ReplicaPool<LLMGeneratorClient>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  /**
   * The smallest budget among the replicas the pool knows; undefined when none is known. Read
   * for every request, so it is worked out once per refresh, not here.
   */
  current(): number | undefined {
    return this.smallest;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async refresh(): Promise<void> {
    await Promise.all(
      this.pool.healthy().map(async ({ address, client }) => {
        try {
          const deadline = Date.now() + Math.max(500, this.intervalMs);
          const info = await unaryCall<StageInfo__Output>((done) => client.Info({}, { deadline }, done));
          if (info.kvBudgetTokens > 0) this.budgets.set(address, info.kvBudgetTokens);
        } catch (error) {
          // Kept as last read: a replica that misses one Info keeps its budget.
          this.logger.debug("llm replica info unanswered", {
            replica: address,
            reason: (error as Error).message,
          });
        }
      }),
    );
    const known = this.pool
      .snapshot()
      .map((r) => this.budgets.get(r.address))
      .filter((budget): budget is number => budget !== undefined);
    this.smallest = known.length > 0 ? Math.min(...known) : undefined;
  }
}

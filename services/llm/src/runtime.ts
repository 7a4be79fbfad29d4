/**
 * The generation stage as the LLMGenerator service and the embedded mode both run it: the model
 * and its KV cache in a worker thread (the only contact with onnxruntime), a continuous-batching
 * scheduler and a bounded queue as LLM_* configures them, the stage's telemetry, and a warm-up
 * generation before serving.
 */
import type { Context } from "@opentelemetry/api";
import type { LoadedBundle } from "@pixellm/bundle";
import {
  type ExecutionProvider,
  type GenerationResult,
  LlmScheduler,
  type LlmWorker,
  type ModelDims,
  type TokenIds,
} from "@pixellm/engine";
import { queueFullError } from "@pixellm/errors";
import type { StageCounters } from "@pixellm/service-kit";
import { makeTensor } from "@pixellm/tensor";
import type { LlmConfig } from "./config";
import { GenerationTelemetry } from "./generation-telemetry";
import type { GenerationInput } from "./protocol";

/** What a generation gets from its call besides its input. */
export interface GenerateCall {
  /** Absolute deadline, ms since the epoch. */
  readonly deadline?: number;
  readonly signal: AbortSignal;
  /** The caller's trace (batch spans link to it). */
  readonly trace: Context;
  readonly onToken: (token: number) => void;
}

export class LlmRuntime {
  private rejected = 0;

  private constructor(
    readonly bundle: LoadedBundle,
    private readonly worker: LlmWorker,
    private readonly scheduler: LlmScheduler,
    private readonly telemetry: GenerationTelemetry,
    private readonly config: LlmConfig,
    readonly warmUpMs: number,
  ) {}

  /** Takes over `worker` (closing the runtime closes it); generates two tokens first when configured. */
  static async start(config: LlmConfig, bundle: LoadedBundle, worker: LlmWorker): Promise<LlmRuntime> {
    const { manifest } = bundle;
    const tokens: TokenIds = { eos: manifest.tokens.eos, seg: manifest.tokens.seg };
    const started = performance.now();
    if (config.warmUp)
      await warmUp(worker, tokens, manifest.tokens.bos, config.kvBudgetTokens).catch(
        async (error: unknown) => {
          await worker.close();
          throw error;
        },
      );
    const warmUpMs = performance.now() - started;
    const telemetry = new GenerationTelemetry(new Set(tokens.seg));
    const scheduler = new LlmScheduler(
      worker,
      tokens,
      {
        maxBatchSize: config.maxBatchSize,
        kvBudgetTokens: config.kvBudgetTokens,
        maxPrefillRows: config.maxPrefillRows,
      },
      telemetry.onRun,
    );
    const runtime = new LlmRuntime(bundle, worker, scheduler, telemetry, config, warmUpMs);
    telemetry.observe(
      () => runtime.counters(),
      () => scheduler.stats(),
      config.kvBudgetTokens,
    );
    return runtime;
  }

  get provider(): ExecutionProvider {
    return this.worker.provider;
  }

  get dims(): ModelDims {
    return this.worker.dims;
  }

  /** Queues a generation (refused with resource_exhausted when LLM_MAX_QUEUE sequences wait). */
  generate(input: GenerationInput, call: GenerateCall): Promise<GenerationResult> {
    const arrivedAt = performance.now();
    if (this.scheduler.stats().waiting >= this.config.maxQueue) {
      this.rejected++;
      return Promise.reject(queueFullError("generation", this.config.maxQueue));
    }
    const observeToken = this.telemetry.tokens(arrivedAt);
    const request = {
      ...input,
      ...(call.deadline !== undefined ? { deadline: call.deadline } : {}),
      signal: call.signal,
      onToken: (token: number) => {
        observeToken(token);
        call.onToken(token);
      },
    };
    this.telemetry.track(request, call.trace);
    return this.scheduler.submit(request);
  }

  /** Scheduler counters as StageInfo reports them: batches are decode steps, items decode rows. */
  counters(): StageCounters {
    const stats = this.scheduler.stats();
    return {
      batches: stats.decodeSteps,
      items: stats.decodeRows,
      prefillBatches: stats.prefillRuns,
      prefillItems: stats.prefillRows,
      deadlineExceeded: stats.deadlineExceeded,
      cancelled: stats.cancelled,
      rejected: this.rejected,
      failed: stats.failed,
      queued: stats.waiting,
      running: stats.running,
    };
  }

  drain(): Promise<void> {
    return this.scheduler.drain();
  }

  close(): Promise<void> {
    this.telemetry.close();
    return this.worker.close();
  }
}

/**
 * A prefill and a decode step of a one-token prompt with a blank image, on a scheduler of its
 * own: the graphs are warm and the serving scheduler's counters start at zero.
 */
async function warmUp(
  worker: LlmWorker,
  tokens: TokenIds,
  bos: number,
  kvBudgetTokens: number,
): Promise<void> {
  const { hidden, imageTokens, imageTokenIndex } = worker.dims;
  const scheduler = new LlmScheduler(worker, tokens, { maxBatchSize: 1, kvBudgetTokens, maxPrefillRows: 1 });
  await scheduler.submit({
    promptIds: [bos, imageTokenIndex],
    imageEmbeds: makeTensor("float32", [imageTokens, hidden], new Float32Array(imageTokens * hidden)),
    imageMask: makeTensor("uint8", [imageTokens], new Uint8Array(imageTokens).fill(1)),
    maxNewTokens: 2,
    ignoreEos: true,
  });
}

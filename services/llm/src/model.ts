/** Loads the bundle's embed and llm graphs and warms them up (the service's only contact with onnxruntime). */
import { type LoadedBundle, loadBundle } from "@pixellm/bundle";
import {
  type ExecutionProvider,
  LlmRunner,
  LlmScheduler,
  type TokenIds,
  modelDims,
  openSessions,
} from "@pixellm/engine";
import { type Logger, logProviderFallback } from "@pixellm/service-kit";
import type { LlmConfig } from "./config";

export interface LlmModel {
  readonly bundle: LoadedBundle;
  readonly runner: LlmRunner;
  readonly tokens: TokenIds;
  readonly provider: ExecutionProvider;
  /** Time the warm-up generation took (0 without one). */
  readonly warmUpMs: number;
  close(): Promise<void>;
}

export async function loadLlmModel(config: LlmConfig, logger: Logger): Promise<LlmModel> {
  const bundle = await loadBundle(config.bundle, config.verify);
  const { embed, llm } = await openSessions(bundle, ["embed", "llm"], {
    provider: config.provider,
    intraOpThreads: config.intraOpThreads,
    onFallback: logProviderFallback(logger),
  });
  const runner = new LlmRunner(embed, llm, modelDims(bundle.manifest));
  const tokens: TokenIds = { eos: bundle.manifest.tokens.eos, seg: bundle.manifest.tokens.seg };
  const warmUpStarted = performance.now();
  if (config.warmUp) await warmUp(runner, tokens, bundle.manifest.tokens.bos, config.kvBudgetTokens);
  return {
    bundle,
    runner,
    tokens,
    provider: llm.provider,
    warmUpMs: performance.now() - warmUpStarted,
    close: async () => {
      await Promise.all([embed.release(), llm.release()]);
    },
  };
}

/**
 * A prefill and a decode step of a one-token prompt with a blank image, on a scheduler of its
 * own: the graphs are warm and the serving scheduler's counters start at zero.
 */
async function warmUp(
  runner: LlmRunner,
  tokens: TokenIds,
  bos: number,
  kvBudgetTokens: number,
): Promise<void> {
  const { hidden, imageTokens, imageTokenIndex } = runner.dims;
  const scheduler = new LlmScheduler(runner, tokens, { maxBatchSize: 1, kvBudgetTokens, maxPrefillRows: 1 });
  await scheduler.submit({
    promptIds: [bos, imageTokenIndex],
    imageEmbeds: new Float32Array(imageTokens * hidden),
    imageMask: new Uint8Array(imageTokens).fill(1),
    maxNewTokens: 2,
    ignoreEos: true,
  });
}

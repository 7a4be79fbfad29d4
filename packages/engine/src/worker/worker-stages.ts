/**
 * The stages as their callers use them, running in worker threads: the same calls as
 * VisionStage, DecoderStage and LlmRunner (a SequenceModel), answered by a worker. A service
 * starts the one stage it serves; the in-process pipelines start all three, in one thread each
 * on cpu and in one shared thread on a GPU provider (see StageWorkerSpec.stages).
 */
import type {
  ModelDims,
  PrefillInput,
  RunOutput,
  SequenceModel,
  StepOutput,
} from "../generation/sequence-model";
import type { ExecutionProvider } from "../runtime/model-session";
import type { DecodeInput, DecodeOutput } from "../stages/decoder-stage";
import type { Outcome } from "../stages/outcome";
import type { VisionInput, VisionOutput } from "../stages/vision-stage";
import { StageWorker } from "./stage-worker";
import type { ProviderFallback, StageWorkerSpec, WorkerStage } from "./stage-worker-spec";

export type WorkerOptions = Omit<StageWorkerSpec, "stages"> & {
  readonly onFallback?: (event: ProviderFallback) => void;
};

abstract class WorkerStageBase {
  protected constructor(
    protected readonly worker: StageWorker,
    private readonly stage: WorkerStage,
  ) {}

  /** The provider the stage's sessions got (cpu after a fallback). */
  get provider(): ExecutionProvider {
    return this.worker.provider(this.stage);
  }

  close(): Promise<void> {
    return this.worker.close();
  }

  protected call<T>(method: string, ...args: unknown[]): Promise<T> {
    return this.worker.call(this.stage, method, args);
  }
}

export class VisionWorker extends WorkerStageBase {
  constructor(worker: StageWorker) {
    super(worker, "vision");
  }

  static async start({ onFallback, ...spec }: WorkerOptions): Promise<VisionWorker> {
    return new VisionWorker(await StageWorker.start({ ...spec, stages: ["vision"] }, onFallback));
  }

  encode(batch: readonly VisionInput[]): Promise<Outcome<VisionOutput>[]> {
    return this.call("encode", batch);
  }
}

export class DecoderWorker extends WorkerStageBase {
  constructor(worker: StageWorker) {
    super(worker, "decoder");
  }

  static async start({ onFallback, ...spec }: WorkerOptions): Promise<DecoderWorker> {
    return new DecoderWorker(await StageWorker.start({ ...spec, stages: ["decoder"] }, onFallback));
  }

  decode(batch: readonly DecodeInput[]): Promise<Outcome<DecodeOutput>[]> {
    return this.call("decode", batch);
  }
}

/** The LLM's SequenceModel in a worker; the KV cache stays there, its size comes back with each call. */
export class LlmWorker extends WorkerStageBase implements SequenceModel {
  private kv = 0;

  constructor(
    worker: StageWorker,
    readonly dims: ModelDims,
  ) {
    super(worker, "llm");
  }

  static async start(dims: ModelDims, { onFallback, ...spec }: WorkerOptions): Promise<LlmWorker> {
    return new LlmWorker(await StageWorker.start({ ...spec, stages: ["llm"] }, onFallback), dims);
  }

  prefill(rows: readonly PrefillInput[]): Promise<RunOutput> {
    return this.call("prefill", rows);
  }

  async join(ids: readonly number[]): Promise<void> {
    this.kv = await this.call<number>("join", ids);
  }

  async step(lastTokens: ReadonlyMap<number, number>): Promise<StepOutput> {
    const { output, kvTokens } = await this.call<{ output: StepOutput; kvTokens: number }>(
      "step",
      lastTokens,
    );
    this.kv = kvTokens;
    return output;
  }

  async remove(ids: ReadonlySet<number>): Promise<void> {
    this.kv = await this.call<number>("remove", ids);
  }

  kvTokens(): number {
    return this.kv;
  }
}

export interface AllStageWorkers {
  readonly vision: VisionWorker;
  readonly llm: LlmWorker;
  readonly decoder: DecoderWorker;
}

/** The three stages for an in-process pipeline: a thread each on cpu, one thread on a GPU provider. */
export async function startAllStageWorkers(
  dims: ModelDims,
  { onFallback, ...spec }: WorkerOptions,
): Promise<AllStageWorkers> {
  const start = (stages: WorkerStage[]) => StageWorker.start({ ...spec, stages }, onFallback);
  if (spec.provider !== "cpu") {
    const shared = await start(["vision", "llm", "decoder"]);
    return {
      vision: new VisionWorker(shared),
      llm: new LlmWorker(shared, dims),
      decoder: new DecoderWorker(shared),
    };
  }
  const [vision, llm, decoder] = await Promise.all([start(["vision"]), start(["llm"]), start(["decoder"])]);
  return {
    vision: new VisionWorker(vision),
    llm: new LlmWorker(llm, dims),
    decoder: new DecoderWorker(decoder),
  };
}

/**
 * The whole pipeline in one process: image and question in, answer text and one mask per
 * target out. The same stage workers run inside the gRPC services; this class only chains
 * them (and is the reference the distributed path must match).
 */
import { type BundleVerification, type LoadedBundle, loadBundle } from "@pixellm/bundle";
import type { DecodeLimits } from "@pixellm/image";
import { type LlamaTokenizer, decodeChatOutput, loadTokenizer } from "@pixellm/tokenizer";
import type { HostTensor } from "@pixellm/tensor";
import type { FinishReason, GenerationRequest } from "../generation/request";
import type { SamplingOptions } from "../generation/sampler";
import { LlmScheduler, type SchedulerOptions } from "../generation/scheduler";
import { modelDims } from "../generation/sequence-model";
import type { ExecutionProvider } from "../runtime/model-session";
import type { DecodedTarget } from "../stages/decoder-stage";
import type { VisionOutput } from "../stages/vision-stage";
import { isFailure } from "../stages/outcome";
import {
  type DecoderWorker,
  type LlmWorker,
  type VisionWorker,
  startAllStageWorkers,
} from "../worker/worker-stages";
import { EngineError } from "@pixellm/errors";
import {
  DEFAULT_QUERY_LIMITS,
  type PreparedImage,
  type QueryLimits,
  formatAnswer,
  prepareImage,
  promptIdsForQuery,
} from "@pixellm/pipeline";

export interface EngineOptions {
  readonly provider?: ExecutionProvider;
  readonly verify?: BundleVerification;
  readonly intraOpThreads?: number;
  readonly scheduler?: Partial<SchedulerOptions>;
  readonly decodeLimits?: Partial<DecodeLimits>;
  readonly queryLimits?: QueryLimits;
  readonly onProviderFallback?: (event: {
    graph: string;
    requested: ExecutionProvider;
    reason: string;
  }) => void;
}

export const DEFAULT_SCHEDULER: SchedulerOptions = {
  maxBatchSize: 16,
  kvBudgetTokens: 16 * 2048,
  maxPrefillRows: 4,
};
/** chat.py and the MUSE evaluation generate up to 512 new tokens. */
export const DEFAULT_MAX_NEW_TOKENS = 512;

/**
 * An image decoded, preprocessed and through the vision stage: what every question about it
 * shares. `encodeImage` makes one; a caller asking several questions about one image (MUSE
 * evaluation asks about seven) passes it to `segment` instead of the bytes each time.
 */
export interface EncodedImage {
  readonly prepared: PreparedImage;
  readonly vision: VisionOutput;
  readonly timings: { readonly imageMs: number; readonly visionMs: number };
}

export interface SegmentRequest {
  /** Encoded PNG, JPEG or WebP; or the image as `encodeImage` returned it. */
  readonly image: Uint8Array | EncodedImage;
  /** The question; or give `promptIds` to bypass the tokenizer. */
  readonly query?: string;
  readonly promptIds?: readonly number[];
  /** Teacher forcing: the answer ids are given (official RefCOCO evaluation). */
  readonly answerIds?: readonly number[];
  readonly maxNewTokens?: number;
  readonly sampling?: SamplingOptions;
  readonly ignoreEos?: boolean;
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  readonly onToken?: (token: number) => void;
}

export interface SegmentTarget extends DecodedTarget {
  readonly index: number;
  /** [start, end) of the target's `<mask:k>` placeholder in the answer text. */
  readonly span: readonly [number, number] | null;
}

export interface SegmentResult {
  readonly text: string;
  readonly rawText: string;
  readonly promptIds: readonly number[];
  readonly outputIds: readonly number[];
  readonly finishReason: FinishReason;
  readonly targets: readonly SegmentTarget[];
  /** Codebook tokens were generated but not a whole number of groups: masks were dropped. */
  readonly masksDropped: boolean;
  readonly image: { readonly width: number; readonly height: number };
  readonly timings: {
    readonly imageMs: number;
    readonly visionMs: number;
    readonly generationMs: number;
    readonly decoderMs: number;
    readonly totalMs: number;
  };
  /** Intermediate tensors, for `--dump` and reference checks. */
  readonly tensors: SegmentTensors;
}

export interface SegmentTensors {
  /** float32[3,448,448] */
  readonly pixelValues: HostTensor<"float32">;
  readonly resized: readonly [number, number];
  readonly original: readonly [number, number];
  /** float32[256,H] */
  readonly imageEmbeds: HostTensor<"float32">;
  /** uint8[256] */
  readonly imageMask: HostTensor<"uint8">;
  /** float32[2,D,32,32] */
  readonly decoderFeatures: HostTensor<"float32">;
  /** float32[n,H] */
  readonly codebookHidden: HostTensor<"float32">;
  /** float32[N,1,128,128] */
  readonly lowResLogits: HostTensor<"float32">;
}

export class PixelLMEngine {
  readonly codebookTokens: readonly string[];

  private constructor(
    readonly bundle: LoadedBundle,
    readonly tokenizer: LlamaTokenizer,
    readonly vision: VisionWorker,
    readonly generation: LlmScheduler,
    private readonly llm: LlmWorker,
    readonly decoder: DecoderWorker,
    private readonly options: EngineOptions,
  ) {
    this.codebookTokens = bundle.manifest.tokens.codebookNames;
  }

  static async load(bundleDir: string, options: EngineOptions = {}): Promise<PixelLMEngine> {
    const bundle = await loadBundle(bundleDir, options.verify ?? "sha256");
    const { manifest } = bundle;
    const tokenizer = await loadTokenizer(bundleDir);
    const scheduler = { ...DEFAULT_SCHEDULER, ...options.scheduler };
    const workers = {
      bundleDir,
      verify: "size",
      provider: options.provider ?? "cpu",
      ...(options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {}),
      ...(options.onProviderFallback ? { onFallback: options.onProviderFallback } : {}),
    } as const;
    const { vision, llm, decoder } = await startAllStageWorkers(modelDims(manifest), {
      ...workers,
      kvCapacityTokens: scheduler.kvBudgetTokens,
    });
    const generation = new LlmScheduler(
      llm,
      { eos: manifest.tokens.eos, seg: manifest.tokens.seg },
      scheduler,
    );
    return new PixelLMEngine(bundle, tokenizer, vision, generation, llm, decoder, options);
  }

  /** Prompt ids for a question (validated), as the engine would build them. */
  promptIds(query: string): number[] {
    return promptIdsForQuery(
      this.tokenizer,
      query,
      this.codebookTokens,
      this.options.queryLimits ?? DEFAULT_QUERY_LIMITS,
    );
  }

  /** Decodes and preprocesses an encoded PNG, JPEG or WebP and runs the vision stage on it. */
  async encodeImage(bytes: Uint8Array): Promise<EncodedImage> {
    const started = performance.now();
    const prepared = await prepareImage(bytes, this.options.decodeLimits);
    const prepareDone = performance.now();
    const [vision] = await this.vision.encode([prepared]);
    if (!vision || isFailure(vision))
      throw vision ?? new EngineError("internal", "vision stage returned nothing");
    return {
      prepared,
      vision,
      timings: { imageMs: prepareDone - started, visionMs: performance.now() - prepareDone },
    };
  }

  async segment(request: SegmentRequest): Promise<SegmentResult> {
    const started = performance.now();
    const promptIds =
      request.promptIds ?? (request.query !== undefined ? this.promptIds(request.query) : undefined);
    if (!promptIds) throw new EngineError("invalid_argument", "give a query or prompt ids");
    // An image encoded for an earlier question costs this one nothing.
    const encodedHere = request.image instanceof Uint8Array;
    const encoded =
      request.image instanceof Uint8Array ? await this.encodeImage(request.image) : request.image;
    const { prepared: image, vision: visionOutcome } = encoded;
    const visionDone = performance.now();
    const generationRequest: GenerationRequest = {
      promptIds,
      imageEmbeds: visionOutcome.imageEmbeds,
      imageMask: visionOutcome.imageMask,
      maxNewTokens: request.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
      ...(request.answerIds ? { answerIds: request.answerIds } : {}),
      ...(request.sampling ? { sampling: request.sampling } : {}),
      ...(request.ignoreEos ? { ignoreEos: true } : {}),
      ...(request.deadline !== undefined ? { deadline: request.deadline } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.onToken ? { onToken: request.onToken } : {}),
    };
    const generated = await this.generation.submit(generationRequest);
    const generationDone = performance.now();
    const [decoded] = await this.decoder.decode([
      {
        codebookHidden: generated.codebookHidden,
        decoderFeatures: visionOutcome.decoderFeatures,
        resized: image.resized,
        original: image.original,
      },
    ]);
    if (!decoded || isFailure(decoded))
      throw decoded ?? new EngineError("internal", "decoder stage returned nothing");
    const done = performance.now();
    const answer = formatAnswer(
      decodeChatOutput(this.tokenizer, generated.outputIds),
      this.codebookTokens,
      decoded.targets.length,
      "</s>",
    );
    return {
      text: answer.text,
      rawText: answer.rawText,
      promptIds,
      outputIds: generated.outputIds,
      finishReason: generated.finishReason,
      targets: decoded.targets.map((t, index) => ({ ...t, index, span: answer.spans[index] ?? null })),
      masksDropped: decoded.dropped,
      image: { width: image.image.width, height: image.image.height },
      timings: {
        imageMs: encodedHere ? encoded.timings.imageMs : 0,
        visionMs: encodedHere ? encoded.timings.visionMs : 0,
        generationMs: generationDone - visionDone,
        decoderMs: done - generationDone,
        totalMs: done - started,
      },
      tensors: {
        pixelValues: image.pixelValues,
        resized: image.resized,
        original: image.original,
        imageEmbeds: visionOutcome.imageEmbeds,
        imageMask: visionOutcome.imageMask,
        decoderFeatures: visionOutcome.decoderFeatures,
        codebookHidden: generated.codebookHidden,
        lowResLogits: decoded.lowResLogits,
      },
    };
  }

  async close(): Promise<void> {
    await this.generation.drain();
    await Promise.all([this.vision.close(), this.llm.close(), this.decoder.close()]);
  }
}

/**
 * Admission: everything about a request is checked before it is queued, so bad input fails at
 * once with INVALID_ARGUMENT and a message that names the limit, and a queued job carries only
 * what the stages need — the resized RGB image (by content hash) and the prompt ids.
 */
import type { SegmentRequest__Output } from "@pixellm/api";
import type { BundleManifest } from "@pixellm/bundle";
import type { RgbImage } from "@pixellm/image";
import { EngineError } from "@pixellm/errors";
import {
  checkMaskBudget,
  codebookStateCount,
  maskTargets,
  promptIdsForQuery,
  sequencePositions,
} from "@pixellm/pipeline";
import type { LlamaTokenizer } from "@pixellm/tokenizer";
import type { GatewayConfig } from "./config";
import type { ImageWorkers } from "./image-workers";

export interface AdmittedRequest {
  /** sha256 of the encoded image: the key of its stored pixels and vision checkpoint. */
  readonly imageHash: string;
  readonly resizedImage: RgbImage;
  /** [H, W] of the decoded image. */
  readonly original: readonly [number, number];
  readonly promptIds: readonly number[];
  readonly answerIds?: readonly number[];
  readonly maxNewTokens: number;
  readonly sampling?: { readonly temperature: number; readonly topP: number; readonly seed: number };
  /** 0 (default) to 9; higher first. */
  readonly priority: number;
}

export const DEFAULT_MAX_NEW_TOKENS = 512;
export const MAX_PRIORITY = 9;

export class Admission {
  private readonly segIds: ReadonlySet<number>;

  constructor(
    private readonly config: GatewayConfig,
    private readonly manifest: BundleManifest,
    private readonly tokenizer: LlamaTokenizer,
    private readonly images: ImageWorkers,
    /** The llm's KV budget per sequence, as far as this gateway knows it now (StageClients). */
    private readonly kvBudgetTokens: () => number | undefined = () => undefined,
  ) {
    this.segIds = new Set(manifest.tokens.seg);
  }

  async admit(request: SegmentRequest__Output): Promise<AdmittedRequest> {
    const priority = request.priority;
    if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
      throw new EngineError("invalid_argument", `priority must be 0 to ${MAX_PRIORITY} (got ${priority})`);
    }
    const maxNewTokens = request.maxNewTokens === 0 ? DEFAULT_MAX_NEW_TOKENS : request.maxNewTokens;
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > this.config.maxNewTokens) {
      throw new EngineError(
        "invalid_argument",
        `max_new_tokens must be 1 to ${this.config.maxNewTokens} (got ${request.maxNewTokens})`,
      );
    }
    const promptIds = promptIdsForQuery(this.tokenizer, request.query, this.manifest.tokens.codebookNames, {
      maxQueryChars: this.config.maxQueryChars,
    });
    const answerIds = request.answerIds.length > 0 ? this.checkIds(request.answerIds) : undefined;
    this.checkPositions(promptIds, answerIds, maxNewTokens);
    const sampling = this.sampling(request);
    const image = await this.images.decode(
      request.image,
      { maxBytes: this.config.maxImageBytes, maxPixels: this.config.maxImagePixels },
      this.manifest.preprocessing.imageSize,
    );
    if (answerIds) this.checkForcedTargets(promptIds, answerIds, image.original);
    return {
      imageHash: image.hash,
      resizedImage: image.resized,
      original: image.original,
      promptIds,
      ...(answerIds ? { answerIds } : {}),
      maxNewTokens,
      ...(sampling ? { sampling } : {}),
      priority,
    };
  }

  /** The llm's own rule (sequence-positions.ts), here so a request it would refuse costs no vision pass. */
  private checkPositions(
    promptIds: readonly number[],
    answerIds: readonly number[] | undefined,
    maxNewTokens: number,
  ): void {
    const kvBudgetTokens = this.kvBudgetTokens();
    sequencePositions(
      {
        promptLength: promptIds.length,
        ...(answerIds ? { answerLength: answerIds.length } : {}),
        maxNewTokens,
      },
      {
        imageTokens: this.manifest.geometry.llmImageTokens,
        maxPositions: this.manifest.config.max_position_embeddings,
        ...(kvBudgetTokens === undefined ? {} : { kvBudgetTokens }),
      },
    );
  }

  /** Teacher-forced answer ids name their targets before any stage runs: their masks are capped here. */
  private checkForcedTargets(
    promptIds: readonly number[],
    answerIds: readonly number[],
    original: readonly [number, number],
  ): void {
    const states = codebookStateCount([...promptIds, ...answerIds], this.segIds);
    const targets = maskTargets(states, this.manifest.geometry.codebookSize);
    checkMaskBudget(targets, original, this.config.maxMaskPixels, "answer_ids name");
  }

  private checkIds(ids: readonly number[]): number[] {
    const vocab = this.manifest.config.vocab_size;
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
    if (bad !== undefined)
      throw new EngineError(
        "invalid_argument",
        `answer id ${bad} is outside the vocabulary (0 to ${vocab - 1})`,
      );
    return [...ids];
  }

  private sampling(request: SegmentRequest__Output): AdmittedRequest["sampling"] {
    const s = request.sampling;
    if (!s || s.temperature === 0) return undefined;
    if (!(s.temperature > 0 && s.temperature <= 100))
      throw new EngineError("invalid_argument", `temperature must be 0 to 100 (got ${s.temperature})`);
    const topP = s.topP === 0 ? 1 : s.topP;
    if (!(topP > 0 && topP <= 1))
      throw new EngineError("invalid_argument", `top_p must be in (0, 1] (got ${s.topP})`);
    return { temperature: s.temperature, topP, seed: Number(s.seed) };
  }
}

/**
 * Runs one job through the three stages: vision → generation → decoding. Each stage's output
 * is checkpointed under a content hash (bundle digest + the stage's inputs) with a TTL, so a
 * retried or recovered job resumes from its last finished stage, and a follow-up question about
 * the same image reuses its vision features. The job's absolute deadline and its cancellation
 * signal go with every stage call; the cancel marker and the deadline are checked at every stage
 * boundary. Checkpoints are capped in size and in total (GATEWAY_MAX_CHECKPOINT_BYTES,
 * GATEWAY_CHECKPOINT_BUDGET_BYTES). Each execution runs in the job's trace (job-telemetry.ts).
 */
import { createHash } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { isRetryable, statusOf } from "@pixellm/api";
import type { BundleManifest } from "@pixellm/bundle";
import { checkMaskBudget, formatAnswer, maskTargets } from "@pixellm/pipeline";
import type { Logger } from "@pixellm/service-kit";
import type { GenerationResult, VisionOutput } from "@pixellm/engine";
import { wireFinishReason } from "@pixellm/llm/protocol";
import type { HostTensor } from "@pixellm/tensor";
import { type LlamaTokenizer, decodeChatOutput } from "@pixellm/tokenizer";
import type { JobTelemetry } from "./job-telemetry";
import type { JobData, JobEvent, JobResult } from "./job-types";
import { JobFailureError, cancelledFailure, deadlineFailure } from "./queue/job-failure";
import type { ProcessContext } from "./queue/job-queue";
import type { RedisKeys } from "./redis-keys";
import type { BlobStore } from "./store/blob-store";
import { pack, unpack } from "./store/packed";
import { loadAdmittedImage, releaseAdmittedImage } from "./admitted-image";
import type { StageCallContext, StageClients } from "./stages/stage-clients";

/** Token deltas are published at most this often (each is a Redis write). */
const TOKEN_FLUSH_MS = 50;

export interface OrchestratorDeps {
  readonly stages: StageClients;
  readonly blobs: BlobStore;
  readonly keys: RedisKeys;
  readonly manifest: BundleManifest;
  /** sha256 of the bundle manifest: checkpoints never cross models. */
  readonly modelDigest: string;
  readonly tokenizer: LlamaTokenizer;
  readonly checkpointTtlSeconds: number;
  /** Targets × original pixels one job's masks may have (GATEWAY_MAX_MASK_PIXELS). */
  readonly maxMaskPixels: number;
  /** Larger checkpoints are not stored (a retry recomputes them). */
  readonly maxCheckpointBytes: number;
  readonly logger: Logger;
  readonly telemetry: JobTelemetry;
}

export class Orchestrator {
  constructor(private readonly deps: OrchestratorDeps) {}

  readonly process = (data: JobData, job: ProcessContext): Promise<JobResult> =>
    this.deps.telemetry.execution(data, job, () => this.run(data, job));

  private async run(data: JobData, job: ProcessContext): Promise<JobResult> {
    const started = Date.now();
    const context: StageCallContext = {
      requestId: data.requestId,
      deadline: data.deadline,
      signal: job.signal,
      recordCrash: (stage) => job.recordCrash(stage),
    };
    try {
      await this.checkLive(context, job);
      await job.report({ kind: "stage", stage: "vision" });
      const vision = await this.vision(data, context);
      const visionDone = Date.now();
      await this.checkLive(context, job);
      await job.report({ kind: "stage", stage: "generation" });
      const generated = await this.generation(data, vision, context, job);
      const generationDone = Date.now();
      await this.checkLive(context, job);
      // A generated answer's targets are known only now: beyond the cap the job fails (the same
      // request would name as many again) rather than lose masks its text refers to.
      checkMaskBudget(
        maskTargets(generated.codebookHidden.shape[0] ?? 0, this.deps.manifest.geometry.codebookSize),
        data.original,
        this.deps.maxMaskPixels,
        "the answer names",
      );
      await job.report({ kind: "stage", stage: "decoder" });
      const decoded = await this.deps.stages.decode(
        {
          codebookHidden: generated.codebookHidden,
          decoderFeatures: vision.decoderFeatures,
          resized: data.resized,
          original: data.original,
        },
        context,
      );
      const answer = formatAnswer(
        decodeChatOutput(this.deps.tokenizer, generated.outputIds),
        this.deps.manifest.tokens.codebookNames,
        decoded.targets.length,
        "</s>",
      );
      const targets = decoded.targets.map((t, index) => {
        const span = answer.spans[index];
        return {
          index,
          spanStart: span?.[0] ?? -1,
          spanEnd: span?.[1] ?? -1,
          mask: { size: [...t.mask.size], counts: t.mask.counts },
          bbox: [...t.bbox],
          area: t.area,
          score: t.score,
        };
      });
      await this.checkLive(context, job);
      // The result is all this job needs now. A release that cannot be stored only leaves the
      // image to its time to live: it must not fail a job that has its answer.
      await releaseAdmittedImage(this.deps.blobs, this.deps.keys, data.imageHash, job.jobId).catch(
        (reason: unknown) =>
          this.deps.logger.warn("admitted image not released", { reason: (reason as Error).message }),
      );
      const done = Date.now();
      // Job id, request id and trace come from the execution's log context.
      this.deps.logger.info("job done", {
        targets: targets.length,
        tokens: generated.outputIds.length,
        ms: done - started,
      });
      return {
        text: answer.text,
        rawText: answer.rawText,
        targets,
        outputIds: generated.outputIds,
        finishReason: wireFinishReason(generated.finishReason),
        masksDropped: decoded.dropped,
        image: { height: data.original[0], width: data.original[1] },
        timings: {
          queuedMs: started - data.createdAt,
          visionMs: visionDone - started,
          generationMs: generationDone - visionDone,
          firstTokenMs: generated.timings.firstTokenMs,
          decoderMs: done - generationDone,
          totalMs: done - data.createdAt,
        },
      };
    } catch (error) {
      throw this.failure(error, context);
    }
  }

  /** The checkpointed vision features; the admitted image is read only when there are none. */
  private async vision(data: JobData, context: StageCallContext): Promise<VisionOutput> {
    const key = this.deps.keys.checkpoint("vision", this.hash(["vision", data.imageHash]));
    const cached = await this.deps.blobs.get(key);
    if (cached) {
      const { tensors } = unpack<null>(cached);
      return {
        imageEmbeds: tensors.imageEmbeds as HostTensor<"float32">,
        imageMask: tensors.imageMask as HostTensor<"uint8">,
        decoderFeatures: tensors.decoderFeatures as HostTensor<"float32">,
      };
    }
    const image = await loadAdmittedImage(this.deps.blobs, this.deps.keys, data.imageHash);
    const out = await this.deps.stages.encode(image, context);
    this.checkpoint(key, pack(null, { ...out }));
    return out;
  }

  private async generation(
    data: JobData,
    vision: VisionOutput,
    context: StageCallContext,
    job: ProcessContext,
  ): Promise<GenerationResult> {
    const key = this.deps.keys.checkpoint(
      "llm",
      this.hash([
        "llm",
        data.imageHash,
        data.promptIds,
        data.answerIds ?? [],
        data.maxNewTokens,
        data.sampling ?? null,
      ]),
    );
    const cached = await this.deps.blobs.get(key);
    if (cached) {
      const { meta, tensors } = unpack<Omit<GenerationResult, "codebookHidden">>(cached);
      await job.report({ kind: "tokens", ids: meta.outputIds, total: meta.outputIds.length });
      return { ...meta, codebookHidden: tensors.codebookHidden as HostTensor<"float32"> };
    }
    const publisher = new TokenPublisher(job);
    const out = await this.deps.stages.generate(
      {
        promptIds: data.promptIds,
        imageEmbeds: vision.imageEmbeds,
        imageMask: vision.imageMask,
        maxNewTokens: data.maxNewTokens,
        ...(data.answerIds ? { answerIds: data.answerIds } : {}),
        ...(data.sampling ? { sampling: data.sampling } : {}),
      },
      context,
      (ids) => publisher.push(ids),
    );
    await publisher.flush();
    const { codebookHidden, ...meta } = out;
    this.checkpoint(key, pack(meta, { codebookHidden }));
    return out;
  }

  /**
   * Stores a stage checkpoint without holding up the next stage: it only matters to a retry or a
   * follow-up question, and a write lost with a crashed gateway just means recomputing.
   */
  private checkpoint(key: string, value: Uint8Array): void {
    if (value.byteLength > this.deps.maxCheckpointBytes) {
      this.deps.logger.debug("stage checkpoint larger than GATEWAY_MAX_CHECKPOINT_BYTES not stored", {
        bytes: value.byteLength,
      });
      return;
    }
    this.deps.blobs.setWithinBudget(key, value, this.deps.checkpointTtlSeconds).then(
      (stored) => {
        if (!stored)
          this.deps.logger.debug("stage checkpoint not stored: GATEWAY_CHECKPOINT_BUDGET_BYTES is used up", {
            bytes: value.byteLength,
          });
      },
      (error: unknown) => {
        this.deps.logger.warn("stage checkpoint not stored", { reason: statusOf(error).message });
      },
    );
  }

  /** At every stage boundary: the job's cancel marker (not only the signal) and its deadline. */
  private async checkLive(context: StageCallContext, job: ProcessContext): Promise<void> {
    if (context.signal.aborted || (await job.cancelled())) throw new JobFailureError(cancelledFailure());
    if (Date.now() >= context.deadline) throw new JobFailureError(deadlineFailure());
  }

  private failure(error: unknown, context: StageCallContext): JobFailureError {
    if (error instanceof JobFailureError) return error;
    if (context.signal.aborted) return new JobFailureError(cancelledFailure());
    const { code, message } = statusOf(error);
    const failure = {
      code: code === status.CANCELLED && Date.now() >= context.deadline ? status.DEADLINE_EXCEEDED : code,
      message,
      retryable: isRetryable(code),
    };
    this.deps.logger.warn("job stage failed", {
      code: failure.code,
      retryable: failure.retryable,
      reason: message,
    });
    return new JobFailureError(failure);
  }

  private hash(parts: readonly unknown[]): string {
    return createHash("sha256")
      .update(JSON.stringify([this.deps.modelDigest, ...parts]))
      .digest("hex");
  }
}

/** Publishes generated ids as progress events, batched every TOKEN_FLUSH_MS, in order. */
class TokenPublisher {
  private pending: number[] = [];
  private total = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly job: { report(event: JobEvent): Promise<void> }) {}

  push(ids: readonly number[]): void {
    this.pending.push(...ids);
    this.timer ??= setTimeout(() => void this.flush(), TOKEN_FLUSH_MS);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) {
      const ids = this.pending;
      this.pending = [];
      this.total += ids.length;
      const total = this.total;
      this.chain = this.chain
        .then(() => this.job.report({ kind: "tokens", ids, total }))
        .catch(() => undefined);
    }
    return this.chain;
  }
}

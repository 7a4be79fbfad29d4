/**
 * Iteration-level (continuous) batching for the generation stage, vLLM-style:
 * `admit → prefill → decode step → retire`, repeated while there is work. Sequences join the
 * running batch after their prefill and leave as soon as they finish, between any two steps.
 *
 * KV memory is bounded: a sequence is admitted only if the batch, padded to the longest final
 * length any of its sequences may reach, stays within `kvBudgetTokens` (rows × positions);
 * otherwise it waits. A sequence whose deadline passes, or whose signal aborts, stops using
 * compute at the next step boundary and fails with deadline_exceeded / cancelled.
 */
import { EngineError } from "@pixellm/errors";
import { makeTensor } from "@pixellm/tensor";
import { asEngineError } from "../stages/outcome";
import {
  type SequencePositions,
  codebookPositions,
  embeddedLength,
  sequencePositions,
} from "@pixellm/pipeline";
import type { FinishReason, GenerationRequest, GenerationResult } from "./request";
import { type PrefillInput, type RunOutput, type SequenceModel, imageSplice } from "./sequence-model";
import { GREEDY, type TokenSampler, createSampler } from "./sampler";

export interface SchedulerOptions {
  /** Sequences decoding together. */
  readonly maxBatchSize: number;
  /** KV positions the batch may hold: rows × padded length, projected to every row's end. */
  readonly kvBudgetTokens: number;
  /** New sequences prefilled in one run. */
  readonly maxPrefillRows: number;
}

export interface TokenIds {
  readonly eos: number;
  readonly seg: readonly number[];
}

export interface SchedulerStats {
  readonly waiting: number;
  readonly running: number;
  readonly decodeSteps: number;
  /** Σ rows over decode steps (mean decode batch = decodeRows / decodeSteps). */
  readonly decodeRows: number;
  readonly prefillRuns: number;
  readonly prefillRows: number;
  readonly generatedTokens: number;
  readonly completed: number;
  readonly deadlineExceeded: number;
  readonly cancelled: number;
  readonly failed: number;
  /** Current KV positions held: rows × cache width. */
  readonly kvTokens: number;
}

/**
 * One graph run of the scheduler, reported after it ran (metrics, and batch spans that link to
 * the requests' traces). Times are ms since the epoch.
 */
export interface SchedulerRun {
  readonly phase: "prefill" | "decode";
  readonly startedAt: number;
  readonly endedAt: number;
  /** The run's rows; a prefill row also says when its request was submitted (its queue wait). */
  readonly rows: readonly { readonly request: GenerationRequest; readonly enqueuedAt?: number }[];
}

interface Sequence {
  readonly id: number;
  readonly request: GenerationRequest;
  readonly resolve: (result: GenerationResult) => void;
  readonly reject: (error: Error) => void;
  readonly sampler: TokenSampler;
  readonly enqueuedAt: number;
  /** Positions this sequence may reach: prompt (image spliced) + new tokens, within the context. */
  readonly finalLength: number;
  readonly promptPositions: number;
  startedAt: number;
  prefillMs: number;
  firstTokenAt: number;
  readonly outputIds: number[];
  readonly codebook: Float32Array[];
  settled: boolean;
  /** Removes the abort listener (a signal may be shared by many requests). */
  detach: () => void;
}

export class LlmScheduler {
  private readonly waiting: Sequence[] = [];
  private readonly running = new Map<number, Sequence>();
  private readonly segIds: ReadonlySet<number>;
  private loop: Promise<void> | undefined;
  private nextId = 0;
  private closed = false;
  private counters = {
    decodeSteps: 0,
    decodeRows: 0,
    prefillRuns: 0,
    prefillRows: 0,
    generatedTokens: 0,
    completed: 0,
    deadlineExceeded: 0,
    cancelled: 0,
    failed: 0,
  };

  constructor(
    private readonly runner: SequenceModel,
    private readonly tokens: TokenIds,
    private readonly options: SchedulerOptions,
    /** Told about each prefill run and decode step once it has run. */
    private readonly onRun?: (run: SchedulerRun) => void,
  ) {
    this.segIds = new Set(tokens.seg);
  }

  submit(request: GenerationRequest): Promise<GenerationResult> {
    if (this.closed)
      return Promise.reject(new EngineError("unavailable", "the generation stage is shutting down"));
    const { imageTokens, maxPositions, vocab, imageTokenIndex } = this.runner.dims;
    // An id outside the vocabulary would fail inside onnxruntime as an internal error.
    const badId = [...request.promptIds, ...(request.answerIds ?? [])].find(
      (id) => id !== imageTokenIndex && (!Number.isInteger(id) || id < 0 || id >= vocab),
    );
    if (badId !== undefined) {
      return Promise.reject(
        new EngineError(
          "invalid_argument",
          `token id ${badId} is outside the vocabulary (0 to ${vocab - 1})`,
        ),
      );
    }
    // A malformed prompt or image fails here, before it could share a prefill with others.
    try {
      imageSplice(request.promptIds, request.imageEmbeds, request.imageMask, this.runner.dims);
    } catch (error) {
      return Promise.reject(asEngineError(error));
    }
    let positions: SequencePositions;
    try {
      positions = sequencePositions(
        {
          promptLength: request.promptIds.length,
          ...(request.answerIds ? { answerLength: request.answerIds.length } : {}),
          maxNewTokens: request.maxNewTokens,
        },
        { imageTokens, maxPositions, kvBudgetTokens: this.options.kvBudgetTokens },
      );
    } catch (error) {
      return Promise.reject(asEngineError(error));
    }
    const { promptPositions, finalLength } = positions;
    return new Promise((resolve, reject) => {
      const now = Date.now();
      const seq: Sequence = {
        id: this.nextId++,
        request,
        resolve,
        reject,
        sampler: createSampler(request.sampling ?? GREEDY),
        enqueuedAt: now,
        finalLength,
        promptPositions,
        startedAt: now,
        prefillMs: 0,
        firstTokenAt: 0,
        outputIds: [],
        codebook: [],
        settled: false,
        detach: () => {},
      };
      const { signal } = request;
      if (signal) {
        const onAbort = () => this.abortWaiting(seq);
        signal.addEventListener("abort", onAbort, { once: true });
        seq.detach = () => signal.removeEventListener("abort", onAbort);
      }
      this.waiting.push(seq);
      // An already aborted signal never fires "abort".
      if (signal?.aborted) this.abortWaiting(seq);
      else this.kick();
    });
  }

  stats(): SchedulerStats {
    return {
      ...this.counters,
      waiting: this.waiting.length,
      running: this.running.size,
      kvTokens: this.runner.kvTokens(),
    };
  }

  /** Stops admitting; resolves once every admitted and waiting sequence has finished. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.loop) await this.loop;
  }

  private kick(): void {
    if (this.loop) return;
    this.loop = this.work().finally(() => {
      this.loop = undefined;
      if (this.waiting.length > 0 || this.running.size > 0) this.kick();
    });
  }

  private async work(): Promise<void> {
    while (this.waiting.length > 0 || this.running.size > 0) {
      this.expireWaiting();
      const admitted = this.admit();
      if (admitted.length > 0) await this.guard(admitted, () => this.prefill(admitted));
      if (this.running.size > 0) await this.guard([...this.running.values()], () => this.decodeStep());
      // Let submissions and aborts that arrived during the step in before the next one.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private admit(): Sequence[] {
    const admitted: Sequence[] = [];
    let longest = Math.max(0, ...[...this.running.values()].map((s) => s.finalLength));
    while (
      this.waiting.length > 0 &&
      admitted.length < this.options.maxPrefillRows &&
      this.running.size + admitted.length < this.options.maxBatchSize
    ) {
      const next = this.waiting[0]!;
      const rows = this.running.size + admitted.length + 1;
      const padded = Math.max(longest, next.finalLength) * rows;
      if (padded > this.options.kvBudgetTokens && rows > 1) break;
      admitted.push(this.waiting.shift()!);
      longest = Math.max(longest, next.finalLength);
    }
    return admitted;
  }

  private async prefill(sequences: Sequence[]): Promise<void> {
    const started = Date.now();
    const rows: PrefillInput[] = sequences.map((seq) => {
      seq.startedAt = started;
      const { request } = seq;
      return {
        id: seq.id,
        ids: [...request.promptIds, ...(request.answerIds ?? [])],
        imageEmbeds: request.imageEmbeds,
        imageMask: request.imageMask,
      };
    });
    const out = await this.runner.prefill(rows);
    this.counters.prefillRuns++;
    this.counters.prefillRows += rows.length;
    this.onRun?.({
      phase: "prefill",
      startedAt: started,
      endedAt: Date.now(),
      rows: sequences.map((seq) => ({ request: seq.request, enqueuedAt: seq.enqueuedAt })),
    });
    const joining: number[] = [];
    sequences.forEach((seq, r) => {
      seq.prefillMs = Date.now() - started;
      // Cancelled during the prefill (and already rejected): no token, no batch row.
      if (seq.settled) return;
      const { ids } = rows[r]!;
      const length = embeddedLength(ids.length, this.runner.dims.imageTokens);
      for (const p of codebookPositions(ids, this.segIds, this.runner.dims.imageTokens)) {
        if (p < length) seq.codebook.push(this.hiddenRow(out, r, p));
      }
      if (seq.request.answerIds) {
        seq.outputIds.push(...seq.request.answerIds);
        this.finish(seq, "teacher_forced");
        return;
      }
      this.running.set(seq.id, seq);
      if (!this.accept(seq, out, r, length - 1)) joining.push(seq.id);
    });
    if (joining.length > 0) await this.runner.join(joining);
  }

  private async decodeStep(): Promise<void> {
    await this.retireExpired();
    if (this.running.size === 0) return;
    const started = Date.now();
    const lastTokens = new Map(
      [...this.running.values()].map((s) => [s.id, s.outputIds[s.outputIds.length - 1]!]),
    );
    const out = await this.runner.step(lastTokens);
    const sequences = out.rowIds.map((id) => this.running.get(id)!);
    this.counters.decodeSteps++;
    this.counters.decodeRows += sequences.length;
    this.onRun?.({
      phase: "decode",
      startedAt: started,
      endedAt: Date.now(),
      rows: sequences.map((seq) => ({ request: seq.request })),
    });
    const done = new Set<number>();
    sequences.forEach((seq, r) => {
      if (seq.settled || this.accept(seq, out, r, 0)) done.add(seq.id);
    });
    await this.runner.remove(done);
  }

  /**
   * Takes the next token of a sequence from row `row` of a run (its logits, and its hidden state
   * at `position`, where the logits come from, copied only for a codebook token); true when the
   * sequence is finished.
   */
  private accept(seq: Sequence, out: RunOutput, row: number, position: number): boolean {
    const V = this.runner.dims.vocab;
    const token = seq.sampler(out.logits.subarray(row * V, (row + 1) * V));
    seq.outputIds.push(token);
    this.counters.generatedTokens++;
    if (seq.outputIds.length === 1) seq.firstTokenAt = Date.now();
    if (this.segIds.has(token)) seq.codebook.push(this.hiddenRow(out, row, position));
    try {
      seq.request.onToken?.(token);
    } catch (error) {
      // The caller's callback failed: that sequence stops, its batch neighbours go on.
      this.running.delete(seq.id);
      this.fail(seq, asEngineError(error, "the token callback failed"));
      return true;
    }
    const reason: FinishReason | undefined =
      token === this.tokens.eos && !seq.request.ignoreEos
        ? "eos"
        : seq.outputIds.length >= seq.request.maxNewTokens
          ? "length"
          : seq.promptPositions + seq.outputIds.length >= seq.finalLength
            ? "max_context"
            : undefined;
    if (!reason) return false;
    this.finish(seq, reason);
    return true;
  }

  /** Resolves a finished sequence (its batch row, if any, is removed by the caller). */
  private finish(seq: Sequence, finishReason: FinishReason): void {
    this.running.delete(seq.id);
    if (seq.settled) return;
    seq.settled = true;
    seq.detach();
    this.counters.completed++;
    const H = this.runner.dims.hidden;
    const codebookHidden = new Float32Array(seq.codebook.length * H);
    seq.codebook.forEach((h, i) => codebookHidden.set(h, i * H));
    const now = Date.now();
    seq.resolve({
      outputIds: seq.outputIds,
      finishReason,
      codebookHidden: makeTensor("float32", [seq.codebook.length, H], codebookHidden),
      promptPositions: seq.promptPositions,
      timings: {
        queuedMs: seq.startedAt - seq.enqueuedAt,
        prefillMs: seq.prefillMs,
        firstTokenMs: seq.firstTokenAt ? seq.firstTokenAt - seq.enqueuedAt : 0,
        totalMs: now - seq.enqueuedAt,
      },
    });
  }

  /** Rejects a sequence; a running one keeps its batch row until the next step boundary retires it. */
  private fail(seq: Sequence, error: EngineError): void {
    if (seq.settled) return;
    seq.settled = true;
    seq.detach();
    if (error.code === "deadline_exceeded") this.counters.deadlineExceeded++;
    else if (error.code === "cancelled") this.counters.cancelled++;
    else this.counters.failed++;
    seq.reject(error);
  }

  private expiry(seq: Sequence): EngineError | undefined {
    if (seq.request.signal?.aborted) return new EngineError("cancelled", "the request was cancelled");
    if (seq.request.deadline !== undefined && Date.now() >= seq.request.deadline) {
      return new EngineError(
        "deadline_exceeded",
        `the deadline passed after ${seq.outputIds.length} generated tokens`,
      );
    }
    return undefined;
  }

  private expireWaiting(): void {
    for (const seq of [...this.waiting]) {
      const error = this.expiry(seq);
      if (error) {
        this.waiting.splice(this.waiting.indexOf(seq), 1);
        this.fail(seq, error);
      }
    }
  }

  private async retireExpired(): Promise<void> {
    const retired = new Set<number>();
    for (const seq of this.running.values()) {
      const error = this.expiry(seq);
      if (seq.settled || error) {
        if (error) this.fail(seq, error);
        retired.add(seq.id);
      }
    }
    for (const id of retired) this.running.delete(id);
    await this.runner.remove(retired);
  }

  /** A cancel while queued answers at once; a running sequence stops at the next step. */
  private abortWaiting(seq: Sequence): void {
    const at = this.waiting.indexOf(seq);
    if (at >= 0) this.waiting.splice(at, 1);
    this.fail(seq, new EngineError("cancelled", "the request was cancelled"));
  }

  /** A failed graph run fails the sequences it carried (never the others) and resets the batch. */
  private async guard(sequences: readonly Sequence[], run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      const failure = asEngineError(error, "generation failed");
      for (const seq of sequences) {
        this.fail(seq, failure);
        this.running.delete(seq.id);
      }
      await this.runner.remove(new Set(sequences.map((s) => s.id)));
    }
  }

  private hiddenRow(out: RunOutput, row: number, position: number): Float32Array {
    const H = this.runner.dims.hidden;
    const start = (row * out.positions + position) * H;
    return out.hidden.slice(start, start + H);
  }
}

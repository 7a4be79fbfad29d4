// Original file: pixellm/v1/stages.proto

import type {
  BatchStats as _pixellm_v1_BatchStats,
  BatchStats__Output as _pixellm_v1_BatchStats__Output,
} from "../../pixellm/v1/BatchStats";
import type { Long } from "@grpc/proto-loader";

/**
 * What a stage replica serves and how it batches; the gateway and operators read it.
 */
export interface StageInfo {
  /**
   * "vision-encoder", "llm" or "pixel-decoder".
   */
  stage?: string;
  /**
   * Bundle name and the sha256 of its manifest: replicas of one deployment must agree.
   */
  model?: string;
  modelDigest?: string;
  /**
   * Float type inside the graphs: "float32" or "float16".
   */
  dtype?: string;
  /**
   * Execution provider actually in use ("cpu", "webgpu", "cuda"), after any fallback.
   */
  executionProvider?: string;
  /**
   * LLM width H and decoder width D of the model.
   */
  hiddenSize?: number;
  outDim?: number;
  /**
   * Batching limits of this replica.
   */
  maxBatchSize?: number;
  maxBatchDelayMs?: number;
  /**
   * LLM only: KV positions the running batch may hold (rows × padded length).
   */
  kvBudgetTokens?: number | string | Long;
  stats?: _pixellm_v1_BatchStats | null;
}

/**
 * What a stage replica serves and how it batches; the gateway and operators read it.
 */
export interface StageInfo__Output {
  /**
   * "vision-encoder", "llm" or "pixel-decoder".
   */
  stage: string;
  /**
   * Bundle name and the sha256 of its manifest: replicas of one deployment must agree.
   */
  model: string;
  modelDigest: string;
  /**
   * Float type inside the graphs: "float32" or "float16".
   */
  dtype: string;
  /**
   * Execution provider actually in use ("cpu", "webgpu", "cuda"), after any fallback.
   */
  executionProvider: string;
  /**
   * LLM width H and decoder width D of the model.
   */
  hiddenSize: number;
  outDim: number;
  /**
   * Batching limits of this replica.
   */
  maxBatchSize: number;
  maxBatchDelayMs: number;
  /**
   * LLM only: KV positions the running batch may hold (rows × padded length).
   */
  kvBudgetTokens: number;
  stats: _pixellm_v1_BatchStats__Output | null;
}

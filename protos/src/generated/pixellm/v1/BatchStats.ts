// Original file: pixellm/v1/stages.proto

import type { Long } from "@grpc/proto-loader";

/**
 * Counters since the replica started.
 */
export interface BatchStats {
  /**
   * Executions of the stage's graph (LLM: decode steps) and the items they carried.
   */
  batches?: number | string | Long;
  items?: number | string | Long;
  /**
   * items / batches.
   */
  meanBatchSize?: number | string;
  maxBatchSizeSeen?: number | string | Long;
  /**
   * LLM only: prefill runs and sequences prefilled.
   */
  prefillBatches?: number | string | Long;
  prefillItems?: number | string | Long;
  /**
   * Requests refused or stopped, by cause.
   */
  deadlineExceeded?: number | string | Long;
  cancelled?: number | string | Long;
  rejected?: number | string | Long;
  failed?: number | string | Long;
  /**
   * Requests currently queued and running on this replica.
   */
  queued?: number | string | Long;
  running?: number | string | Long;
}

/**
 * Counters since the replica started.
 */
export interface BatchStats__Output {
  /**
   * Executions of the stage's graph (LLM: decode steps) and the items they carried.
   */
  batches: number;
  items: number;
  /**
   * items / batches.
   */
  meanBatchSize: number;
  maxBatchSizeSeen: number;
  /**
   * LLM only: prefill runs and sequences prefilled.
   */
  prefillBatches: number;
  prefillItems: number;
  /**
   * Requests refused or stopped, by cause.
   */
  deadlineExceeded: number;
  cancelled: number;
  rejected: number;
  failed: number;
  /**
   * Requests currently queued and running on this replica.
   */
  queued: number;
  running: number;
}

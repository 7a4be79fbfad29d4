/**
 * Every metric a PixelLM service exports, in one table: its Prometheus name, type, labels and
 * meaning. Instruments are created from this table only (instruments.ts), and the docs table,
 * the Grafana dashboard and the alert rules are checked against it (test/observability), so a
 * renamed metric cannot silently break a panel, an alert or the autoscaler.
 */
export type ServiceRole = "gateway" | "vision-encoder" | "llm" | "pixel-decoder";

/** How the instrument is fed: synchronously where the event happens, or read at scrape time. */
export type InstrumentKind =
  "counter" | "observableCounter" | "upDownCounter" | "gauge" | "observableGauge" | "histogram";

export interface MetricSpec {
  /** The Prometheus name (counters end in _total, as the exporter requires). */
  readonly name: string;
  readonly instrument: InstrumentKind;
  readonly labels: readonly string[];
  readonly help: string;
  readonly unit?: string;
  /** Histogram bucket boundaries. */
  readonly buckets?: readonly number[];
  /**
   * Which deployed services export it. An embedded-mode gateway also exports the stage metrics
   * of its in-process stages.
   */
  readonly services: readonly ServiceRole[];
}

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const BATCH_SIZES = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256];
const STAGES: readonly ServiceRole[] = ["vision-encoder", "llm", "pixel-decoder"];
const ALL: readonly ServiceRole[] = ["gateway", ...STAGES];

export const METRICS = {
  queueJobs: {
    name: "pixellm_queue_jobs",
    instrument: "observableGauge",
    labels: ["state"],
    help: "Jobs in the gateway's job queue by state (waiting, prioritized, delayed, active); every gateway reports the same shared queue",
    services: ["gateway"],
  },
  stageQueueDepth: {
    name: "pixellm_stage_queue_depth",
    instrument: "observableGauge",
    labels: ["stage"],
    help: "Work in a stage replica: items queued for a batch (or sequences waiting for admission) plus those running",
    services: STAGES,
  },
  stageQueueWait: {
    name: "pixellm_stage_queue_wait_seconds",
    instrument: "histogram",
    labels: ["stage"],
    help: "Time an item waited in a stage's queue before its batch (or prefill) started",
    unit: "s",
    buckets: SECONDS,
    services: STAGES,
  },
  stageBatchSize: {
    name: "pixellm_stage_batch_size",
    instrument: "histogram",
    labels: ["stage", "phase"],
    help: "Items per executed batch (phase batch: a dynamic batch; prefill / decode: an LLM prefill run or decode step)",
    buckets: BATCH_SIZES,
    services: STAGES,
  },
  stageBatchSeconds: {
    name: "pixellm_stage_batch_seconds",
    instrument: "histogram",
    labels: ["stage", "phase"],
    help: "Compute time of one executed batch, prefill run or decode step",
    unit: "s",
    buckets: SECONDS,
    services: STAGES,
  },
  shed: {
    name: "pixellm_shed_total",
    instrument: "observableCounter",
    labels: ["stage"],
    help: "Requests refused with RESOURCE_EXHAUSTED because a bounded queue was full (stage gateway: the job queue, refused to clients; a stage's refusals the gateway waits out within each job's deadline)",
    services: ALL,
  },
  deadlineExceeded: {
    name: "pixellm_deadline_exceeded_total",
    instrument: "observableCounter",
    labels: ["stage"],
    help: "Requests whose deadline passed before they finished (stage gateway: job executions that ended DEADLINE_EXCEEDED)",
    services: ALL,
  },
  rpcHandled: {
    name: "pixellm_rpc_server_handled_total",
    instrument: "counter",
    labels: ["method", "code"],
    help: "gRPC calls served, by full method and status code name (OK, INVALID_ARGUMENT, …); calls refused before their handler (API key, call limit, a method's request limits) included",
    services: ALL,
  },
  rpcDuration: {
    name: "pixellm_rpc_server_duration_seconds",
    instrument: "histogram",
    labels: ["method"],
    help: "Time from a gRPC call's arrival to its status",
    unit: "s",
    buckets: SECONDS,
    services: ALL,
  },
  rpcInFlight: {
    name: "pixellm_rpc_server_in_flight",
    instrument: "upDownCounter",
    labels: ["method"],
    help: "gRPC calls being served now",
    services: ALL,
  },
  rpcClientDuration: {
    name: "pixellm_rpc_client_duration_seconds",
    instrument: "histogram",
    labels: ["method", "code"],
    help: "Gateway → stage call attempts: time to status, by method and status code name",
    unit: "s",
    buckets: SECONDS,
    services: ["gateway"],
  },
  stageReplicas: {
    name: "pixellm_stage_replicas",
    instrument: "observableGauge",
    labels: ["stage", "health"],
    help: "Stage replicas the gateway routes to, by health (healthy, unhealthy)",
    services: ["gateway"],
  },
  jobsProcessed: {
    name: "pixellm_jobs_processed_total",
    instrument: "counter",
    labels: ["code"],
    help: "Job executions by how they ended (OK or the failure's status code name); a retried job counts once per execution",
    services: ["gateway"],
  },
  jobDuration: {
    name: "pixellm_job_duration_seconds",
    instrument: "histogram",
    labels: ["code"],
    help: "Time one job execution took (vision + generation + decoding, with checkpoints)",
    unit: "s",
    buckets: SECONDS,
    services: ["gateway"],
  },
  queueWait: {
    name: "pixellm_queue_wait_seconds",
    instrument: "histogram",
    labels: [],
    help: "Time a job waited in the job queue before its first execution started",
    unit: "s",
    buckets: SECONDS,
    services: ["gateway"],
  },
  generatedTokens: {
    name: "pixellm_llm_generated_tokens_total",
    instrument: "counter",
    labels: [],
    help: "Tokens generated (tokens/s = rate of this)",
    services: ["llm"],
  },
  timeToFirstToken: {
    name: "pixellm_llm_time_to_first_token_seconds",
    instrument: "histogram",
    labels: [],
    help: "Time from a Generate call's arrival to its first generated token",
    unit: "s",
    buckets: SECONDS,
    services: ["llm"],
  },
  timeToFirstCodebookToken: {
    name: "pixellm_llm_time_to_first_codebook_token_seconds",
    instrument: "histogram",
    labels: [],
    help: "Time from a Generate call's arrival to its first codebook (SEG) token",
    unit: "s",
    buckets: SECONDS,
    services: ["llm"],
  },
  kvTokens: {
    name: "pixellm_llm_kv_cache_tokens",
    instrument: "observableGauge",
    labels: [],
    help: "KV cache positions the running batch holds (rows × past length)",
    services: ["llm"],
  },
  kvBudget: {
    name: "pixellm_llm_kv_cache_budget_tokens",
    instrument: "observableGauge",
    labels: [],
    help: "KV cache positions the running batch may hold (LLM_KV_BUDGET_TOKENS)",
    services: ["llm"],
  },
  kvUsage: {
    name: "pixellm_llm_kv_cache_usage_ratio",
    instrument: "observableGauge",
    labels: [],
    help: "KV cache positions held / budget (0 to 1)",
    services: ["llm"],
  },
  eventLoopLag: {
    name: "pixellm_event_loop_lag_seconds",
    instrument: "observableGauge",
    labels: ["quantile"],
    help: "How late this process's event loop ran what was due, over the last 10–20 s: quantile 0.5, 0.99 and 1 (the maximum). Model runs and image decoding happen in worker threads; lag here delays every call, stream and health check",
    unit: "s",
    services: ALL,
  },
  modelLoad: {
    name: "pixellm_model_load_seconds",
    instrument: "gauge",
    labels: ["stage"],
    help: "Time the stage took to load its model (bundle check and sessions), warm-up excluded",
    unit: "s",
    services: STAGES,
  },
  modelWarmUp: {
    name: "pixellm_model_warmup_seconds",
    instrument: "gauge",
    labels: ["stage"],
    help: "Time the stage's warm-up request took before it reported SERVING",
    unit: "s",
    services: STAGES,
  },
} as const satisfies Record<string, MetricSpec>;

/**
 * Settings every stage service reads, declared once; each service adds its own batching
 * table. Variables are prefixed by stage (VISION_, LLM_, DECODER_) where they differ per stage.
 */
import { type ConfigTable, flag, int, oneOf, text } from "./config";
import type { ConnectionLimits } from "./service-host";
import { telemetrySettings } from "./telemetry/settings";
import { serverTlsSettings } from "./transport-security";

export function stageSettings(prefix: string, defaultPort: number) {
  return {
    host: text({ env: `${prefix}_HOST`, default: "0.0.0.0", description: "address to listen on" }),
    port: int({
      env: `${prefix}_PORT`,
      default: defaultPort,
      min: 0,
      max: 65535,
      description: "gRPC port (0 picks a free one)",
    }),
    bundle: text({
      env: "PIXELLM_BUNDLE",
      description: "model bundle directory (pixellm.json, graphs, tokenizer)",
    }),
    verify: oneOf({
      env: "PIXELLM_BUNDLE_VERIFY",
      values: ["sha256", "size"],
      default: "sha256",
      description: "how the bundle's files are checked at start-up",
    }),
    provider: oneOf({
      env: "PIXELLM_EXECUTION_PROVIDER",
      values: ["cpu", "webgpu", "cuda"],
      default: "cpu",
      description: "onnxruntime execution provider; falls back to cpu (logged) when unavailable",
    }),
    intraOpThreads: int({
      env: "PIXELLM_INTRA_OP_THREADS",
      default: 0,
      min: 0,
      max: 256,
      description: "threads per operator on cpu (0: onnxruntime's default)",
    }),
    warmUp: flag({
      env: "PIXELLM_WARM_UP",
      default: true,
      description: "run one request before reporting SERVING",
    }),
    ...serverTlsSettings(prefix),
    ...processSettings(),
  } satisfies ConfigTable;
}

/** Settings of every service process, stages and gateway alike. */
export function processSettings() {
  return {
    maxMessageBytes: int({
      env: "PIXELLM_MAX_MESSAGE_BYTES",
      default: 64 * 2 ** 20,
      min: 2 ** 20,
      description:
        "largest gRPC message sent or accepted; each method accepts less, sized to what it needs (docs/limits.md)",
    }),
    maxConcurrentStreams: int({
      env: "PIXELLM_MAX_CONCURRENT_STREAMS",
      default: 1000,
      min: 1,
      description:
        "calls one client connection may have open at once (HTTP/2 streams); more wait in the client",
    }),
    maxSessionMemoryMb: int({
      env: "PIXELLM_MAX_SESSION_MEMORY_MB",
      default: 128,
      min: 1,
      description:
        "memory one connection may hold in HTTP/2 buffers before its new calls are refused; above the largest request",
    }),
    keepaliveTimeMs: int({
      env: "PIXELLM_KEEPALIVE_TIME_MS",
      default: 60_000,
      min: 1000,
      description: "ping each client connection this often; one that does not answer within 20 s is closed",
    }),
    maxConnectionIdleMs: int({
      env: "PIXELLM_MAX_CONNECTION_IDLE_MS",
      default: 300_000,
      min: 1000,
      description:
        "close a client connection with no call for this long (clients reconnect when they need to)",
    }),
    maxConnectionAgeMs: int({
      env: "PIXELLM_MAX_CONNECTION_AGE_MS",
      default: 0,
      min: 0,
      description:
        "close a client connection after this long, once its calls end (within PIXELLM_SHUTDOWN_GRACE_MS); 0: never",
    }),
    shutdownGraceMs: int({
      env: "PIXELLM_SHUTDOWN_GRACE_MS",
      default: 30_000,
      min: 0,
      description:
        "time to finish accepted work after SIGTERM (a gateway's unfinished jobs go to other gateways)",
    }),
    logLevel: oneOf({
      env: "PIXELLM_LOG_LEVEL",
      values: ["debug", "info", "warn", "error"],
      default: "info",
      description: "lowest log level written",
    }),
    // Read by the telemetry bootstrap (telemetry/start.ts); listed here so the table documents them.
    ...telemetrySettings(),
  } satisfies ConfigTable;
}

/** The connection settings of `processSettings`, as ServiceHost takes them. */
export function connectionLimits(config: ConnectionLimits): ConnectionLimits {
  return {
    maxConcurrentStreams: config.maxConcurrentStreams,
    maxSessionMemoryMb: config.maxSessionMemoryMb,
    keepaliveTimeMs: config.keepaliveTimeMs,
    maxConnectionIdleMs: config.maxConnectionIdleMs,
    maxConnectionAgeMs: config.maxConnectionAgeMs,
    shutdownGraceMs: config.shutdownGraceMs,
  };
}

/** The batching settings `batchingSettings()` declares (and their defaults). */
export interface BatchingConfig {
  readonly maxBatchSize: number;
  readonly maxBatchDelayMs: number;
  readonly maxQueue: number;
}

/**
 * The dynamic-batching settings of a stage (`<PREFIX>_MAX_BATCH_SIZE`, `_MAX_BATCH_DELAY_MS`,
 * `_MAX_QUEUE`), the options of its `DynamicBatcher`; `unit` names what is batched ("images").
 */
export function batchingSettings(prefix: string, defaults: BatchingConfig, unit: string) {
  return {
    maxBatchSize: int({
      env: `${prefix}_MAX_BATCH_SIZE`,
      default: defaults.maxBatchSize,
      min: 1,
      max: 256,
      description: `${unit} per graph run`,
    }),
    maxBatchDelayMs: int({
      env: `${prefix}_MAX_BATCH_DELAY_MS`,
      default: defaults.maxBatchDelayMs,
      min: 0,
      max: 10_000,
      description: "longest wait for a batch to fill",
    }),
    maxQueue: int({
      env: `${prefix}_MAX_QUEUE`,
      default: defaults.maxQueue,
      min: 1,
      description: `${unit} waiting at most; more are refused with RESOURCE_EXHAUSTED`,
    }),
  } satisfies ConfigTable;
}

/** Gateway settings (environment variables; see README "Configuration"). */
import {
  type ConfigOf,
  flag,
  int,
  list,
  loadConfig,
  oneOf,
  processSettings,
  serverTlsSettings,
  stageClientTlsSettings,
  text,
} from "@pixellm/service-kit";

export const GATEWAY_SETTINGS = {
  host: text({ env: "GATEWAY_HOST", default: "0.0.0.0", description: "address to listen on" }),
  port: int({
    env: "GATEWAY_PORT",
    default: 7100,
    min: 0,
    max: 65535,
    description: "public gRPC port (0 picks a free one)",
  }),
  bundle: text({
    env: "PIXELLM_BUNDLE",
    description: "model bundle directory: the gateway reads its manifest and tokenizer (never its graphs)",
  }),
  mode: oneOf({
    env: "GATEWAY_MODE",
    values: ["redis", "embedded"],
    default: "redis",
    description:
      "redis: BullMQ queue and remote stages; embedded: in-memory queue and in-process stages (one machine, no Redis)",
  }),
  redisUrl: text({
    env: "REDIS_URL",
    default: "redis://127.0.0.1:6379",
    description: "Redis for the job queue, checkpoints and results",
  }),
  redisPassword: text({
    env: "REDIS_PASSWORD",
    default: "",
    description: "Redis password (AUTH); overrides one in REDIS_URL, so it can come from a Secret on its own",
  }),
  redisCaFile: text({
    env: "REDIS_CA_FILE",
    default: "",
    description:
      "PEM file of the CA that signed the Redis server's certificate (with a rediss:// URL); empty: the system's roots",
  }),
  redisCheck: oneOf({
    env: "GATEWAY_REDIS_CHECK",
    values: ["refuse", "warn", "off"],
    default: "refuse",
    description:
      "start-up check of Redis (appendonly yes, appendfsync everysec or always, maxmemory-policy noeviction): refuse to start, warn, or skip; see docs/redis.md",
  }),
  keyPrefix: text({
    env: "PIXELLM_KEY_PREFIX",
    default: "pixellm",
    description: "prefix of every Redis key and the BullMQ queue (one per deployment)",
  }),
  visionAddresses: list({
    env: "VISION_ADDRESSES",
    default: ["127.0.0.1:7101"],
    description:
      "vision-encoder replicas: host:port, or dns:host:port to use every address the name resolves to",
  }),
  llmAddresses: list({
    env: "LLM_ADDRESSES",
    default: ["127.0.0.1:7102"],
    description: "llm replicas (same forms)",
  }),
  decoderAddresses: list({
    env: "DECODER_ADDRESSES",
    default: ["127.0.0.1:7103"],
    description: "pixel-decoder replicas (same forms)",
  }),
  workerConcurrency: int({
    env: "GATEWAY_WORKER_CONCURRENCY",
    default: 64,
    min: 1,
    description: "jobs this gateway orchestrates at once (they mostly wait on stages)",
  }),
  maxQueued: int({
    env: "GATEWAY_MAX_QUEUED",
    default: 1000,
    min: 1,
    description: "waiting + prioritized + delayed jobs at most; more are refused with RESOURCE_EXHAUSTED",
  }),
  attempts: int({
    env: "GATEWAY_JOB_ATTEMPTS",
    default: 3,
    min: 1,
    max: 20,
    description: "executions of a job before it fails (retryable failures only)",
  }),
  backoffMs: int({
    env: "GATEWAY_RETRY_BACKOFF_MS",
    default: 500,
    min: 0,
    description: "first retry delay; doubles per attempt",
  }),
  lockDurationMs: int({
    env: "GATEWAY_LOCK_DURATION_MS",
    default: 30_000,
    min: 1000,
    description: "a job whose gateway stops renewing its lock this long is recovered by another gateway",
  }),
  stalledIntervalMs: int({
    env: "GATEWAY_STALLED_INTERVAL_MS",
    default: 15_000,
    min: 500,
    description: "how often gateways look for stalled jobs",
  }),
  resultTtlSeconds: int({
    env: "GATEWAY_RESULT_TTL_SECONDS",
    default: 3600,
    min: 1,
    description: "how long finished jobs and results are kept",
  }),
  eventStreamMaxLength: int({
    env: "GATEWAY_EVENT_STREAM_MAX_LENGTH",
    default: 2000,
    min: 100,
    description:
      "approximate bound of the queue's event stream in Redis (events carry no results or masks; watchers also poll)",
  }),
  maxCheckpointBytes: int({
    env: "GATEWAY_MAX_CHECKPOINT_BYTES",
    default: 16 * 2 ** 20,
    min: 0,
    description:
      "largest stage checkpoint stored in Redis (7B vision features are about 6 MB); larger ones are recomputed on retry; 0: no checkpoints",
  }),
  checkpointBudgetBytes: int({
    env: "GATEWAY_CHECKPOINT_BUDGET_BYTES",
    default: 512 * 2 ** 20,
    min: 0,
    description:
      "total bytes of stage checkpoints kept in Redis at once; past it, new checkpoints are skipped until old ones expire",
  }),
  checkpointTtlSeconds: int({
    env: "GATEWAY_CHECKPOINT_TTL_SECONDS",
    default: 900,
    min: 1,
    description: "how long stage outputs are kept for retries and follow-up questions",
  }),
  defaultTimeoutMs: int({
    env: "GATEWAY_DEFAULT_TIMEOUT_MS",
    default: 120_000,
    min: 100,
    description: "deadline of a request that sets none",
  }),
  maxImageBytes: int({
    env: "GATEWAY_MAX_IMAGE_BYTES",
    default: 20 * 2 ** 20,
    min: 1024,
    description: "largest encoded image accepted",
  }),
  maxImagePixels: int({
    env: "GATEWAY_MAX_IMAGE_PIXELS",
    default: 40_000_000,
    min: 1,
    description: "largest decoded image (width × height); guards against decompression bombs",
  }),
  imageWorkers: int({
    env: "GATEWAY_IMAGE_WORKERS",
    default: 2,
    min: 1,
    max: 64,
    description:
      "threads that decode, resize and hash admitted images, off the event loop that answers calls and health checks",
  }),
  maxDecodes: int({
    env: "GATEWAY_MAX_DECODES",
    default: 2,
    min: 1,
    max: 256,
    description:
      "images decoded at once (each holds its full RGB pixels, up to 3 bytes × GATEWAY_MAX_IMAGE_PIXELS)",
  }),
  maxDecodeQueue: int({
    env: "GATEWAY_MAX_DECODE_QUEUE",
    default: 64,
    min: 0,
    description:
      "images waiting for a decode slot at most (their encoded bytes are already received); more are refused with RESOURCE_EXHAUSTED",
  }),
  maxCalls: int({
    env: "GATEWAY_MAX_CALLS",
    default: 512,
    min: 1,
    description:
      "public calls running at once over all connections (streams and watches included); more are refused with RESOURCE_EXHAUSTED",
  }),
  queueCountCacheMs: int({
    env: "GATEWAY_QUEUE_COUNT_CACHE_MS",
    default: 250,
    min: 0,
    max: 10_000,
    description:
      "how long a queue count may be reused to shed requests before their image is decoded (the exact count is taken at enqueue)",
  }),
  maxQueryChars: int({
    env: "GATEWAY_MAX_QUERY_CHARS",
    default: 4000,
    min: 1,
    description: "longest question",
  }),
  maxNewTokens: int({
    env: "GATEWAY_MAX_NEW_TOKENS",
    default: 1024,
    min: 1,
    description: "largest max_new_tokens a request may ask for",
  }),
  maxMaskPixels: int({
    env: "GATEWAY_MAX_MASK_PIXELS",
    default: 200_000_000,
    min: 1,
    description:
      "targets × image pixels of one request's masks; more is INVALID_ARGUMENT (docs/request-budget.md); keep ≥ GATEWAY_MAX_IMAGE_PIXELS",
  }),
  stageAttempts: int({
    env: "GATEWAY_STAGE_ATTEMPTS",
    default: 3,
    min: 1,
    max: 10,
    description:
      "replicas tried for one stage call when one is unavailable or its queue is full (a full one is then waited out within the deadline)",
  }),
  healthIntervalMs: int({
    env: "GATEWAY_HEALTH_INTERVAL_MS",
    default: 2000,
    min: 100,
    description: "how often each stage replica's health is checked",
  }),
  apiKeys: list({
    env: "PIXELLM_API_KEYS",
    default: [],
    description:
      'API keys of one tenant, "default", with every permission (metadata `authorization: Bearer <key>` or `x-api-key`); with no keys here or in PIXELLM_TENANTS_FILE, no authentication',
  }),
  tenantsFile: text({
    env: "PIXELLM_TENANTS_FILE",
    default: "",
    description:
      "JSON file of tenants: SHA-256 of their API keys, permissions and limits (see docs/tenants.md); empty: none",
  }),
  verify: oneOf({
    env: "PIXELLM_BUNDLE_VERIFY",
    values: ["sha256", "size"],
    default: "size",
    description: "how the bundle's files are checked at start-up",
  }),
  provider: oneOf({
    env: "PIXELLM_EXECUTION_PROVIDER",
    values: ["cpu", "webgpu", "cuda"],
    default: "cpu",
    description: "embedded mode only: execution provider of the in-process stages",
  }),
  warmUp: flag({
    env: "PIXELLM_WARM_UP",
    default: true,
    description: "embedded mode only: warm the in-process stages up before SERVING",
  }),
  // TLS on the public port (GATEWAY_TLS_*), and towards the stages (STAGE_TLS_*).
  ...serverTlsSettings("GATEWAY"),
  ...stageClientTlsSettings(),
  ...processSettings(),
};

export type GatewayConfig = ConfigOf<typeof GATEWAY_SETTINGS>;

export function gatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig(GATEWAY_SETTINGS, env);
}

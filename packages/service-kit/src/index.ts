import "./telemetry/log-correlation";

export {
  loadConfig,
  describeConfig,
  ConfigError,
  int,
  text,
  oneOf,
  flag,
  list,
  type ConfigTable,
  type ConfigOf,
  type Setting,
} from "./config";
export {
  createLogger,
  withLogContext,
  addLogFieldSource,
  type Logger,
  type LogLevel,
  type LogFields,
} from "./logger";
export {
  DynamicBatcher,
  type BatcherOptions,
  type BatcherStats,
  type BatchExecutor,
  type ItemContext,
  type BatchRun,
} from "./dynamic-batcher";
export {
  ServiceHost,
  LIVENESS,
  type ServiceBinding,
  type HostOptions,
  type ConnectionLimits,
} from "./service-host";
export { type RequestLimits, type MethodLimits, largestLimit } from "./request-limits";
export { type FieldCaps } from "./wire-caps";
export { type CallLimit } from "./call-limit";
export { stageRequestLimits, REQUEST_ENVELOPE_BYTES, type StageRequestLimits } from "./stage-request-limits";
export { callContext, type CallContext } from "./call-context";
export {
  stageSettings,
  processSettings,
  batchingSettings,
  connectionLimits,
  type BatchingConfig,
} from "./stage-settings";
export {
  startStage,
  runStageMain,
  runServiceMain,
  type StageProcess,
  type LoadedStage,
  type RunningStage,
  type StartHooks,
} from "./run-stage";
export { unaryHandler, serverStreamHandler } from "./handlers";
export { unaryCall, checkHealth, listServices, type HealthStatus, type ProbeOptions } from "./client-calls";
export {
  serverTlsSettings,
  stageClientTlsSettings,
  serverTlsOf,
  stageClientTlsOf,
  channelSecurity,
  type ServerTls,
  type ClientTls,
  type ChannelSecurity,
  type ServerTlsConfig,
  type StageClientTlsConfig,
} from "./transport-security";
export { logProviderFallback, type ProviderFallback } from "./provider-fallback";
export { stageWorkerOptions, type StageWorkerSettings } from "./stage-worker-options";
export { stageInfo, type StageLimits, type StageCounters } from "./stage-info";
export { telemetrySettings } from "./telemetry/settings";
export { METRICS } from "./telemetry/catalog";
export { instruments, observe } from "./telemetry/instruments";
export { tracer, metadataWithContext, traceCarrier, contextFromCarrier } from "./telemetry/context";
export { startServerCall, tracedCall, statusName, countHandledCall } from "./telemetry/rpc-telemetry";
export { recordBatch } from "./telemetry/batch-telemetry";
export { stageTelemetry, type StageTelemetry } from "./telemetry/stage-telemetry";
export { shutdownTelemetry } from "./telemetry/lifecycle";
export type { SpanRecord } from "./telemetry/file-span-exporter";
export {
  BatchedRuntime,
  batchedStage,
  serverSettings,
  type BatchedStageModel,
  type StageServerSettings,
} from "./batched-stage";

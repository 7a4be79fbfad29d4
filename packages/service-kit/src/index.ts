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
} from "./dynamic-batcher";
export { ServiceHost, LIVENESS, type ServiceBinding, type HostOptions } from "./service-host";
export { callContext, type CallContext } from "./call-context";
export { stageSettings } from "./stage-settings";
export {
  startStage,
  runStageMain,
  type StageProcess,
  type LoadedStage,
  type RunningStage,
} from "./run-stage";
export { stageInfo, type StageLimits, type StageCounters } from "./stage-info";

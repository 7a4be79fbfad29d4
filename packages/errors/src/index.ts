export { EngineError, type EngineErrorCode } from "./engine-error";
export { QUEUE_FULL_RETRY_AFTER_MS, queueFullError } from "./queue-full";

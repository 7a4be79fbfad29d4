export { startGateway, type RunningGateway } from "./gateway";
export { gatewayConfig, GATEWAY_SETTINGS, type GatewayConfig } from "./config";
export { idempotentJobId } from "./jobs";
export type { JobQueue, JobView, JobState } from "./queue/job-queue";

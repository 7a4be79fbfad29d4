export { LocalDeployment, type DeploymentOptions, type DeploymentTls } from "./local-deployment";
export { ManagedProcess, REPO_ROOT, type Role, type LogTarget } from "./managed-process";
export { freePort } from "./free-port";
export { stageInfo, batchTotals, meanBetween, type BatchTotals } from "./stage-stats";
export { RedisServer, type RedisServerOptions, type RedisServerTls } from "./redis-server";

export { startGateway, type RunningGateway } from "./gateway";
export { gatewayConfig, GATEWAY_SETTINGS, type GatewayConfig } from "./config";
export { RedisKeys } from "./redis-keys";
export { hashApiKey } from "./tenants/api-key-hash";

export { startGateway, type RunningGateway } from "./gateway";
export { gatewayConfig, GATEWAY_SETTINGS, type GatewayConfig } from "./config";
export { hashApiKey } from "./tenants/api-key-hash";

export { startGateway, type RunningGateway } from "./gateway";
export { gatewayConfig, GATEWAY_SETTINGS, type GatewayConfig } from "./config";

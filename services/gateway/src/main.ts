/** Entry point: `PIXELLM_BUNDLE=… REDIS_URL=… tsx services/gateway/src/main.ts`. */
import "./telemetry";
import { runServiceMain } from "@pixellm/service-kit";
import { gatewayConfig } from "./config";
import { startGateway } from "./gateway";

await runServiceMain(() => startGateway(gatewayConfig()));

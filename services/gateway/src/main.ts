/** Entry point: `PIXELLM_BUNDLE=… REDIS_URL=… node services/gateway/dist/main.js` (compiled by `pnpm build`). */
import "./telemetry";
import { runServiceMain } from "@pixellm/service-kit";
import { gatewayConfig } from "./config";
import { startGateway } from "./gateway";

await runServiceMain(() => startGateway(gatewayConfig()));

/** Entry point: `PIXELLM_BUNDLE=… node services/pixel-decoder/dist/main.js` (compiled by `pnpm build`). */
import "./telemetry";
import { runStageMain } from "@pixellm/service-kit";
import { decoderConfig } from "./config";
import { decoderStage } from "./stage";

await runStageMain(() => decoderStage(decoderConfig()));

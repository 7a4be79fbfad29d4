/** Entry point: `PIXELLM_BUNDLE=… node services/vision-encoder/dist/main.js` (compiled by `pnpm build`). */
import "./telemetry";
import { runStageMain } from "@pixellm/service-kit";
import { visionConfig } from "./config";
import { visionStage } from "./stage";

await runStageMain(() => visionStage(visionConfig()));

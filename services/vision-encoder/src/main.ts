/** Entry point: `PIXELLM_BUNDLE=… tsx services/vision-encoder/src/main.ts`. */
import "./telemetry";
import { runStageMain } from "@pixellm/service-kit";
import { visionConfig } from "./config";
import { visionStage } from "./stage";

await runStageMain(() => visionStage(visionConfig()));

/** Entry point: `PIXELLM_BUNDLE=… tsx services/pixel-decoder/src/main.ts`. */
import "./telemetry";
import { runStageMain } from "@pixellm/service-kit";
import { decoderConfig } from "./config";
import { decoderStage } from "./stage";

await runStageMain(() => decoderStage(decoderConfig()));

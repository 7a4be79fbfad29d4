/** Entry point: `PIXELLM_BUNDLE=… node services/llm/dist/main.js` (compiled by `pnpm build`). */
import "./telemetry";
import { runStageMain } from "@pixellm/service-kit";
import { llmConfig } from "./config";
import { llmStage } from "./stage";

await runStageMain(() => llmStage(llmConfig()));

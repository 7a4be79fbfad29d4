/** Entry point: `PIXELLM_BUNDLE=… tsx services/llm/src/main.ts`. */
import "./telemetry";
import { runStageMain } from "@pixellm/service-kit";
import { llmConfig } from "./config";
import { llmStage } from "./stage";

await runStageMain(() => llmStage(llmConfig()));

/** First import of main: the OpenTelemetry SDK and /metrics start before anything else loads. */
import { startTelemetry } from "@pixellm/service-kit/telemetry";

startTelemetry("llm");

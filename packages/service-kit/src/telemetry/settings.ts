/**
 * Telemetry settings every service reads (traces, metrics), declared once. The OpenTelemetry
 * exporters also honour the standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES, …); see docs/observability.md.
 */
import { type ConfigOf, type ConfigTable, ConfigError, flag, int, loadConfig, oneOf, text } from "../config";

export const TELEMETRY_SETTINGS = {
  tracesExporter: oneOf({
    env: "PIXELLM_TRACES_EXPORTER",
    values: ["none", "otlp", "console", "file"],
    default: "none",
    description:
      "where spans go: otlp (http/protobuf to OTEL_EXPORTER_OTLP_ENDPOINT), console, file (JSON lines in PIXELLM_TRACES_FILE; tests), none (trace context is still passed on)",
  }),
  tracesFile: text({
    env: "PIXELLM_TRACES_FILE",
    default: "",
    description: "file the `file` traces exporter appends one JSON span per line to",
  }),
  metricsHost: text({
    env: "PIXELLM_METRICS_HOST",
    default: "0.0.0.0",
    description: "address the Prometheus /metrics endpoint listens on",
  }),
  metricsPort: int({
    env: "PIXELLM_METRICS_PORT",
    default: 9464,
    min: 0,
    max: 65535,
    description:
      "port of the Prometheus /metrics endpoint (0 picks a free one, logged as `metrics listening`)",
  }),
  metricsOtlp: flag({
    env: "PIXELLM_METRICS_OTLP",
    default: false,
    description: "also push metrics over OTLP (http/protobuf to OTEL_EXPORTER_OTLP_ENDPOINT)",
  }),
} satisfies ConfigTable;

export type TelemetryConfig = ConfigOf<typeof TELEMETRY_SETTINGS>;

export function telemetrySettings(): typeof TELEMETRY_SETTINGS {
  return TELEMETRY_SETTINGS;
}

export function telemetryConfig(env: NodeJS.ProcessEnv = process.env): TelemetryConfig {
  const config = loadConfig(TELEMETRY_SETTINGS, env);
  if (config.tracesExporter === "file" && config.tracesFile === "")
    throw new ConfigError(
      "configuration error:\n  PIXELLM_TRACES_FILE is required when PIXELLM_TRACES_EXPORTER=file: the file spans are appended to",
    );
  return config;
}

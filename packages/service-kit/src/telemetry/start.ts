/**
 * The telemetry bootstrap of a service process, imported first by each service's main (before
 * grpc-js, the queue or the model load), so every later module sees the registered providers:
 * the OpenTelemetry Node SDK with W3C trace-context propagation, the span exporter chosen by
 * PIXELLM_TRACES_EXPORTER, and metrics through the SDK to a Prometheus /metrics endpoint (and
 * OTLP when asked). No auto-instrumentation is registered: gRPC spans come from the shared
 * handlers and stage clients (rpc-telemetry.ts), so Redis polling by BullMQ/ioredis makes no
 * spans at all. Logs stay JSON lines on stdout (no OTel log exporter).
 */
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { type IMetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { NodeSDK } from "@opentelemetry/sdk-node";
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { ConfigError } from "../config";
import { createLogger } from "../logger";
import type { ServiceRole } from "./catalog";
import { observeEventLoopLag } from "./event-loop-lag";
import { FileSpanExporter } from "./file-span-exporter";
import { onTelemetryShutdown } from "./lifecycle";
import { startMetricsServer } from "./metrics-server";
import { type TelemetryConfig, telemetryConfig } from "./settings";

/**
 * Starts the SDK for `service` (synchronously: modules imported after this one see it) and the
 * metrics endpoint (in the background; its port is logged as `metrics listening`). A bad
 * setting exits 2 with its message, like every other configuration error.
 */
export function startTelemetry(service: ServiceRole): void {
  let config: TelemetryConfig;
  try {
    config = telemetryConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  const prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const readers: IMetricReader[] = [prometheus];
  // The OTLP exporters read OTEL_EXPORTER_OTLP_ENDPOINT (and the per-signal variants) themselves.
  if (config.metricsOtlp)
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() }));
  const sdk = new NodeSDK({
    serviceName: service,
    contextManager: new AsyncLocalStorageContextManager(),
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    instrumentations: [],
    spanProcessors: spanProcessors(config),
    metricReaders: readers,
    // Empty, not absent: absent makes the SDK start an OTLP log exporter from the environment.
    logRecordProcessors: [],
  });
  sdk.start();
  const stopLagging = observeEventLoopLag();
  const logger = createLogger({ service });
  const server = startMetricsServer(prometheus, config.metricsHost, config.metricsPort).then(
    (started) => {
      logger.info("metrics listening", { port: started.port, path: "/metrics" });
      return started;
    },
    (error: unknown) => {
      // Metrics are not worth refusing traffic for; the failure is loud in the logs.
      logger.error("metrics endpoint failed to start", {
        port: config.metricsPort,
        reason: (error as Error).message,
      });
      return undefined;
    },
  );
  onTelemetryShutdown(async () => {
    stopLagging();
    await (await server)?.close();
    await sdk.shutdown();
  });
}

/** None: no tracer provider at all (spans are no-ops; incoming context is still passed on). */
function spanProcessors(config: TelemetryConfig): SpanProcessor[] {
  switch (config.tracesExporter) {
    case "none":
      return [];
    case "otlp":
      return [new BatchSpanProcessor(new OTLPTraceExporter())];
    case "console":
      return [new BatchSpanProcessor(new ConsoleSpanExporter())];
    case "file":
      return [new SimpleSpanProcessor(new FileSpanExporter(config.tracesFile))];
  }
}

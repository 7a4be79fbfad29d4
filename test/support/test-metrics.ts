/**
 * OpenTelemetry metrics in a test process: a meter provider whose reader is collected on demand,
 * and the data points of one metric at that moment (cumulative, as Prometheus scrapes them).
 */
import { metrics } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";

export interface TestMetrics {
  /** The data points of metric `name` now. */
  points(name: string): Promise<readonly { attributes: Record<string, unknown>; value: unknown }[]>;
  /** The value of counter `name` at the point whose attributes include `attributes` (0 if none). */
  count(name: string, attributes: Record<string, string>): Promise<number>;
}

/** Installs the global meter provider; call before the code under test creates its instruments. */
export function installTestMetrics(): TestMetrics {
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  const points = async (name: string) => {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === name);
    return (metric?.dataPoints ?? []) as readonly { attributes: Record<string, unknown>; value: unknown }[];
  };
  return {
    points,
    async count(name, attributes) {
      const point = (await points(name)).find((p) =>
        Object.entries(attributes).every(([key, value]) => p.attributes[key] === value),
      );
      return typeof point?.value === "number" ? point.value : 0;
    },
  };
}

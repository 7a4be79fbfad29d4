/**
 * The catalog's instruments on the global MeterProvider, created once per provider: a metric
 * name is registered once however many stages or tests in a process use it. Before the SDK is
 * started the global provider is a no-op, so libraries and tests without telemetry pay nothing.
 */
import {
  type Attributes,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableCounter,
  type ObservableGauge,
  type ObservableResult,
  type UpDownCounter,
  metrics,
} from "@opentelemetry/api";
import { METRICS, type MetricSpec } from "./catalog";

type Specs = typeof METRICS;
type InstrumentOf<S extends MetricSpec> = S["instrument"] extends "counter"
  ? Counter
  : S["instrument"] extends "upDownCounter"
    ? UpDownCounter
    : S["instrument"] extends "gauge"
      ? Gauge
      : S["instrument"] extends "histogram"
        ? Histogram
        : S["instrument"] extends "observableCounter"
          ? ObservableCounter
          : ObservableGauge;

export type Instruments = { readonly [K in keyof Specs]: InstrumentOf<Specs[K]> };

const METER = "pixellm";
const cache = new WeakMap<MeterProvider, Instruments>();

export function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  let found = cache.get(provider);
  if (!found) {
    const meter = provider.getMeter(METER);
    found = Object.fromEntries(
      Object.entries(METRICS).map(([key, spec]) => [key, create(meter, spec)]),
    ) as unknown as Instruments;
    cache.set(provider, found);
  }
  return found;
}

function create(meter: Meter, spec: MetricSpec) {
  const options = {
    description: spec.help,
    ...(spec.unit ? { unit: spec.unit } : {}),
    ...(spec.buckets ? { advice: { explicitBucketBoundaries: [...spec.buckets] } } : {}),
  };
  switch (spec.instrument) {
    case "counter":
      return meter.createCounter(spec.name, options);
    case "upDownCounter":
      return meter.createUpDownCounter(spec.name, options);
    case "gauge":
      return meter.createGauge(spec.name, options);
    case "histogram":
      return meter.createHistogram(spec.name, options);
    case "observableCounter":
      return meter.createObservableCounter(spec.name, options);
    case "observableGauge":
      return meter.createObservableGauge(spec.name, options);
  }
}

/** An observable instrument's callback: `read` runs at each collection (scrape). */
export type Observation = (observe: (value: number, attributes?: Attributes) => void) => void | Promise<void>;

/**
 * Adds a read-at-scrape callback to an observable instrument; the returned function removes it
 * (a stopped stage must stop reporting, and tests start several stages in one process).
 */
export function observe(instrument: ObservableGauge | ObservableCounter, read: Observation): () => void {
  const callback = (result: ObservableResult) =>
    read((value, attributes) => result.observe(value, attributes));
  instrument.addCallback(callback);
  return () => instrument.removeCallback(callback);
}

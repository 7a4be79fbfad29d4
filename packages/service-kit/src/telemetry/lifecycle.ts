/** Flushing telemetry at exit: the SDK registers its shutdown here, `runServiceMain` calls it. */
const hooks: (() => Promise<void>)[] = [];

export function onTelemetryShutdown(hook: () => Promise<void>): void {
  hooks.push(hook);
}

/** Exports what is buffered (spans, last metrics) and closes the exporters; never throws. */
export async function shutdownTelemetry(): Promise<void> {
  await Promise.all(hooks.splice(0).map((hook) => hook().catch(() => undefined)));
}

/** Resolves on the first SIGINT (Ctrl-C) or SIGTERM: when a long-running command drains and stops. */
export function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
  });
}

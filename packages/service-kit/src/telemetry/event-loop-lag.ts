/**
 * The event-loop lag every service reports (pixellm_event_loop_lag_seconds): a timer due every
 * 10 ms records how late it ran, and a scrape reads the 0.5 and 0.99 quantiles and the maximum
 * of the last 10–20 s (the window rolls every 10 s and the previous one is kept, so a scrape
 * right after a roll still sees 10 s of samples).
 */
import { type RecordableHistogram, createHistogram } from "node:perf_hooks";
import { instruments, observe } from "./instruments";

const INTERVAL_MS = 10;
const WINDOW_MS = 10_000;
const QUANTILES = [0.5, 0.99] as const;

/** Starts sampling and the gauge; the returned function stops both. */
export function observeEventLoopLag(): () => void {
  let current = createHistogram();
  let previous: RecordableHistogram = createHistogram();
  let due = performance.now() + INTERVAL_MS;
  let timer = setTimeout(sample, INTERVAL_MS).unref();
  function sample(): void {
    const now = performance.now();
    // Nanoseconds, at least 1 (the histogram takes positive integers).
    current.record(Math.max(1, Math.round((now - due) * 1e6)));
    due = now + INTERVAL_MS;
    timer = setTimeout(sample, INTERVAL_MS).unref();
  }
  const roll = setInterval(() => {
    previous = current;
    current = createHistogram();
  }, WINDOW_MS).unref();
  const remove = observe(instruments().eventLoopLag, (report) => {
    const window = createHistogram();
    window.add(previous);
    window.add(current);
    if (window.count === 0) return;
    for (const q of QUANTILES) report(window.percentile(100 * q) / 1e9, { quantile: String(q) });
    report(window.max / 1e9, { quantile: "1" });
  });
  return () => {
    clearTimeout(timer);
    clearInterval(roll);
    remove();
  };
}

/**
 * Progress of an evaluation on stderr: a redrawn bar with the rate and an ETA on a terminal; a
 * plain line every LINE_INTERVAL_MS otherwise (logs and CI output stay readable).
 */
import { progressBar } from "../progress";

const REDRAW_MS = 100;
const LINE_INTERVAL_MS = 10_000;

export class EvalProgress {
  private readonly started = performance.now();
  private lastWrite = this.started;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly interactive: boolean = Boolean(process.stderr.isTTY),
  ) {}

  update(done: number, total: number, failed: number): void {
    const now = performance.now();
    const interval = this.interactive ? REDRAW_MS : LINE_INTERVAL_MS;
    if (done < total && now - this.lastWrite < interval) return;
    this.lastWrite = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? formatDuration((total - done) / rate) : "?";
    const status = `${done}/${total} questions  ${rate.toFixed(2)} q/s  ETA ${eta}${failed > 0 ? `  ${failed} failed` : ""}`;
    this.stream.write(
      this.interactive ? `\r\x1b[2Keval ${progressBar(done, total)} ${status}` : `eval: ${status}\n`,
    );
  }

  /** Clears the bar (a terminal) before the results are printed. */
  finish(): void {
    if (this.interactive) this.stream.write("\r\x1b[2K");
  }
}

/** 75 → "1m15s", 3725 → "1h02m" */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * A progress line for long jobs: a redrawn bar on a terminal, one line per step otherwise
 * (logs and CI output stay readable).
 */
const BAR_WIDTH = 30;

export class ProgressBar {
  private lastDraw = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly interactive: boolean = Boolean(process.stderr.isTTY),
  ) {}

  /** Redraws `label` with `done / total` (throttled to 10 redraws per second). */
  update(label: string, done: number, total: number): void {
    if (!this.interactive) return;
    const now = Date.now();
    if (done < total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.stream.write(
      `\r${label.padEnd(10)} ${progressBar(done, total)} ${formatBytes(done)} / ${formatBytes(total)}`,
    );
  }

  /** Ends the current step with a summary line. */
  finish(line: string): void {
    this.stream.write(this.interactive ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }
}

/** "[#####-----]  50%" */
export function progressBar(done: number, total: number): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  return `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatCount(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(2)} B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(2)} M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)} K`;
  return String(count);
}

/**
 * Structured JSON logs, one object per line: a static message and typed fields, never image
 * bytes or prompt text (log ids, sizes and counts instead). `withContext` adds fields — request
 * id, trace id — to every line logged inside a call, through AsyncLocalStorage.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

const LEVELS: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };
const context = new AsyncLocalStorage<LogFields>();

/** Extra fields for every line, e.g. the active trace id (set by the telemetry module). */
export type FieldSource = () => LogFields;
const sources: FieldSource[] = [];

export function addLogFieldSource(source: FieldSource): void {
  sources.push(source);
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  readonly service: string;
  readonly level?: LogLevel;
  /** Where lines go (stdout by default; tests capture them). */
  readonly write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const threshold = LEVELS[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stdout.write(line + "\n"));
  const log = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (LEVELS[level] < threshold) return;
    const extra = Object.assign({}, ...sources.map((s) => s())) as LogFields;
    write(
      JSON.stringify({
        time: new Date().toISOString(),
        level,
        service: options.service,
        msg: message,
        ...bound,
        ...extra,
        ...context.getStore(),
        ...fields,
      }),
    );
  };
  return {
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** Runs `work` with `fields` added to every log line it (and what it awaits) writes. */
export function withLogContext<T>(fields: LogFields, work: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, work);
}

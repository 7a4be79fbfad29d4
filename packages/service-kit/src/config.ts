/**
 * Service configuration from environment variables, declared in one table per service: each
 * entry names the variable, its type, default and meaning. `loadConfig` returns typed values or
 * throws one ConfigError listing every bad variable with what it got and what it takes.
 */
export type Setting<T> = {
  readonly env: string;
  readonly description: string;
  readonly parse: (raw: string) => T;
  /** Human form of what `parse` accepts, for messages and docs. */
  readonly accepts: string;
} & ({ readonly default: T } | { readonly required: true });

export type ConfigTable = Readonly<Record<string, Setting<unknown>>>;
export type ConfigOf<T extends ConfigTable> = {
  readonly [K in keyof T]: T[K] extends Setting<infer V> ? V : never;
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig<T extends ConfigTable>(
  table: T,
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<T> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(table)) {
    const raw = env[setting.env];
    if (raw === undefined || raw === "") {
      if ("required" in setting)
        problems.push(`${setting.env} is required: ${setting.description} (${setting.accepts})`);
      else values[key] = setting.default;
      continue;
    }
    try {
      values[key] = setting.parse(raw);
    } catch (error) {
      problems.push(
        `${setting.env}=${JSON.stringify(raw)} is invalid: ${(error as Error).message}; expected ${setting.accepts} (${setting.description})`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(`configuration error:\n  ${problems.join("\n  ")}`);
  return values as ConfigOf<T>;
}

/** The table as Markdown rows (README and values documentation are generated from it). */
export function describeConfig(table: ConfigTable): string {
  const rows = Object.values(table).map(
    (s) =>
      `| \`${s.env}\` | ${"required" in s ? "required" : `\`${JSON.stringify(s.default)}\``} | ${s.accepts} | ${s.description} |`,
  );
  return ["| variable | default | accepts | meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

// ─── setting constructors ───────────────────────────────────────────────────────────────

type Base = { env: string; description: string };

export function int(base: Base & { default?: number; min?: number; max?: number }): Setting<number> {
  const { min = -Infinity, max = Infinity } = base;
  const accepts = `an integer${Number.isFinite(min) ? ` ≥ ${min}` : ""}${Number.isFinite(max) ? ` ≤ ${max}` : ""}`;
  const parse = (raw: string) => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) throw new Error("out of range or not an integer");
    return n;
  };
  return base.default === undefined
    ? { ...base, accepts, parse, required: true }
    : { ...base, accepts, parse, default: base.default };
}

export function text(base: Base & { default?: string }): Setting<string> {
  const parse = (raw: string) => raw;
  return base.default === undefined
    ? { ...base, accepts: "text", parse, required: true }
    : { ...base, accepts: "text", parse, default: base.default };
}

export function oneOf<const V extends string>(base: Base & { values: readonly V[]; default: V }): Setting<V> {
  return {
    env: base.env,
    description: base.description,
    default: base.default,
    accepts: `one of ${base.values.join(", ")}`,
    parse: (raw) => {
      if (!(base.values as readonly string[]).includes(raw))
        throw new Error("not one of the accepted values");
      return raw as V;
    },
  };
}

export function flag(base: Base & { default: boolean }): Setting<boolean> {
  return {
    ...base,
    accepts: "true or false",
    parse: (raw) => {
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      throw new Error("not a boolean");
    },
  };
}

/** Comma-separated list, e.g. "127.0.0.1:7001,127.0.0.1:7002". */
export function list(base: Base & { default?: readonly string[] }): Setting<readonly string[]> {
  const parse = (raw: string) =>
    raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  const accepts = "a comma-separated list";
  return base.default === undefined
    ? { ...base, accepts, parse, required: true }
    : { ...base, accepts, parse, default: base.default };
}

/**
 * Typed reads of config.json fields. Each failure names the file, the field, what it got and
 * how to fix it, e.g. `config.json: hidden_size must be an integer >= 1 (got "4k"): the LLM width`.
 */
import { CheckpointError } from "./errors";

export interface FieldRule<T> {
  /** Used when the field is absent; without it the field is required. */
  readonly default?: T;
  /** What the field means, appended to error messages. */
  readonly hint: string;
}

interface RangeRule extends FieldRule<number> {
  readonly min?: number;
  readonly max?: number;
}

export class ConfigReader {
  constructor(
    private readonly json: Readonly<Record<string, unknown>>,
    /** Names the source in messages, e.g. "checkpoint config.json". */
    private readonly source: string,
  ) {}

  int(name: string, rule: RangeRule): number {
    const value = this.get(name, rule);
    if (typeof value !== "number" || !Number.isInteger(value))
      this.fail(name, value, "an integer", rule.hint);
    this.checkRange(name, value, rule);
    return value;
  }

  number(name: string, rule: RangeRule): number {
    const value = this.get(name, rule);
    if (typeof value !== "number" || !Number.isFinite(value)) this.fail(name, value, "a number", rule.hint);
    this.checkRange(name, value, rule);
    return value;
  }

  bool(name: string, rule: FieldRule<boolean>): boolean {
    const value = this.get(name, rule);
    if (typeof value !== "boolean") this.fail(name, value, "true or false", rule.hint);
    return value;
  }

  string(name: string, rule: FieldRule<string>): string {
    const value = this.get(name, rule);
    if (typeof value !== "string") this.fail(name, value, "a string", rule.hint);
    return value;
  }

  /** A field that must have one fixed value because the official code hard-codes it. */
  fixed<T extends number | string | boolean>(name: string, expected: T, why: string): T {
    const value = this.get(name, { default: expected, hint: why });
    if (value !== expected) this.fail(name, value, JSON.stringify(expected), why);
    return expected;
  }

  /** A field that must be absent or null (a feature the runtime does not implement). */
  absent(name: string, why: string): void {
    const value = this.json[name];
    if (value !== undefined && value !== null) this.fail(name, value, "absent or null", why);
  }

  fail(name: string, value: unknown, expected: string, hint: string): never {
    throw new CheckpointError(
      "config_field",
      `${this.source}: ${name} must be ${expected} (got ${JSON.stringify(value)}): ${hint}`,
    );
  }

  private get(name: string, rule: FieldRule<unknown>): unknown {
    const value = this.json[name];
    if (value === undefined || value === null) {
      if (rule.default !== undefined) return rule.default;
      throw new CheckpointError(
        "config_field",
        `${this.source}: required field ${name} is missing: ${rule.hint}`,
      );
    }
    return value;
  }

  private checkRange(name: string, value: number, rule: RangeRule): void {
    if (rule.min !== undefined && value < rule.min) this.fail(name, value, `>= ${rule.min}`, rule.hint);
    if (rule.max !== undefined && value > rule.max) this.fail(name, value, `<= ${rule.max}`, rule.hint);
  }
}

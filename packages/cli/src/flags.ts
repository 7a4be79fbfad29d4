/** Parsing of numeric command-line values, with messages that name the flag. */
import { UsageError } from "./usage-error";

export function parseNumber(
  flag: string,
  value: string | undefined,
  rule: { min: number; max: number; integer?: boolean; fallback: number },
): number {
  if (value === undefined) return rule.fallback;
  const n = Number(value);
  if (
    value.trim() === "" ||
    !Number.isFinite(n) ||
    (rule.integer && !Number.isInteger(n)) ||
    n < rule.min ||
    n > rule.max
  ) {
    throw new UsageError(
      `${flag} must be ${rule.integer ? "an integer" : "a number"} from ${rule.min} to ${rule.max} (got ${value})`,
    );
  }
  return n;
}

/** "1,2,-200,5" → [1, 2, -200, 5] */
export function parseIdList(flag: string, value: string): number[] {
  const ids = value.split(",").map((part) => part.trim());
  if (ids.length === 0 || ids.some((id) => !/^-?\d+$/.test(id)))
    throw new UsageError(`${flag} must be comma-separated integer ids (got ${value})`);
  return ids.map(Number);
}

/** Reads the compact PyTorch fixture and measures how far a TS output is from it. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface FloatEntry {
  readonly shape: readonly number[];
  readonly sum: number;
  readonly abs_sum: number;
  readonly signed_sum: number;
  /** Absent when `values` holds every element. */
  readonly indices?: readonly number[];
  readonly values: readonly number[];
}

/** input.json as write-fixture-inputs.ts wrote it (without the pixels path). */
export interface FixtureInputs {
  readonly seed: number;
  readonly digests: { readonly checkpoint: string; readonly visionTower: string };
  readonly pixels_sum: number;
  readonly resized_size: readonly number[];
  readonly original_size: readonly number[];
  readonly seg_ids: readonly number[];
  readonly eos_id: number;
  readonly evaluate: { readonly prompt_ids: readonly number[]; readonly max_new_tokens: number };
  readonly teacher: { readonly ids: readonly number[] };
}

export interface TorchFixture {
  readonly torch: string;
  readonly seed: number;
  readonly inputs: FixtureInputs;
  readonly floats: Readonly<Record<string, FloatEntry>>;
  readonly ints: Readonly<Record<string, readonly number[]>>;
  readonly diagnostics: Readonly<Record<string, readonly number[]>>;
}

export function readTorchFixture(): TorchFixture {
  const file = fileURLToPath(new URL("../fixtures/tiny-torch.json", import.meta.url));
  return JSON.parse(readFileSync(file, "utf8")) as TorchFixture;
}

/** The ±1 weights of compact_fixture.py's signed_sum: bit 31 of i·2654435761 mod 2³². */
function hashSign(i: number): number {
  return Math.imul(i, 2654435761) >>> 0 >= 0x80000000 ? -1 : 1;
}

export interface Deviation {
  /** Max |ts − torch| over the stored values. */
  readonly maxAbs: number;
  /** Checksum differences divided by the element count (mean deviation bounds). */
  readonly sumPerElement: number;
  readonly absSumPerElement: number;
  readonly signedSumPerElement: number;
  readonly compared: number;
}

export function deviation(entry: FloatEntry, actual: ArrayLike<number>): Deviation {
  const n = entry.shape.reduce((a, b) => a * b, 1);
  if (actual.length !== n)
    throw new Error(`expected ${n} values (shape [${entry.shape.join(",")}]), got ${actual.length}`);
  let maxAbs = 0;
  entry.values.forEach((expected, k) => {
    const i = entry.indices ? entry.indices[k]! : k;
    maxAbs = Math.max(maxAbs, Math.abs(actual[i]! - expected));
  });
  let sum = 0;
  let absSum = 0;
  let signedSum = 0;
  for (let i = 0; i < n; i++) {
    const v = actual[i]!;
    sum += v;
    absSum += Math.abs(v);
    signedSum += hashSign(i) * v;
  }
  return {
    maxAbs,
    sumPerElement: Math.abs(sum - entry.sum) / n,
    absSumPerElement: Math.abs(absSum - entry.abs_sum) / n,
    signedSumPerElement: Math.abs(signedSum - entry.signed_sum) / n,
    compared: entry.values.length,
  };
}

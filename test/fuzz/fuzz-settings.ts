/**
 * The one place fuzz runs are sized and seeded. Every target runs at least FUZZ_RUNS generated
 * inputs from a fixed seed, printed so a failure can be replayed exactly:
 *   FUZZ_SEED=<seed> pnpm vitest run test/fuzz/<file>
 * (fast-check also prints the seed and the shrunk counterexample of a failing property).
 */
import type { Parameters } from "fast-check";

/** The issue asks for at least 10,000 generated inputs per target. */
export const FUZZ_RUNS = 10_000;

const DEFAULT_SEED = 20_261_206;

export function fuzzParameters<T>(target: string, overrides: Parameters<T> = {}): Parameters<T> {
  const seed = Number(process.env.FUZZ_SEED ?? DEFAULT_SEED);
  console.log(`fuzz ${target}: seed ${seed}, ${FUZZ_RUNS} runs (replay: FUZZ_SEED=${seed})`);
  return { seed, numRuns: FUZZ_RUNS, ...overrides };
}

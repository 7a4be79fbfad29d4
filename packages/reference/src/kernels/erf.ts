/**
 * erf to about 1e-15 absolute, for the erf-GELU of the projectors and the mask decoder.
 * Uses the everywhere-positive series erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)):
 * no cancellation, so the sum keeps full float64 precision; past |x| = 6, erf is ±1 in float64.
 */
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SATURATION = 6;

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= SATURATION) return Math.sign(x);
  const twoXSquared = 2 * a * a;
  let term = a;
  let sum = a;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= twoXSquared / (2 * n + 1);
    sum += term;
  }
  const value = TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
  return x < 0 ? -value : value;
}

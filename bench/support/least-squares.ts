/** The least-squares line through points: how fast a sampled series grows. */
export function leastSquaresSlope(points: readonly { readonly x: number; readonly y: number }[]): number {
  if (points.length < 2) throw new RangeError("a slope needs at least two points");
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  let covariance = 0;
  let varianceX = 0;
  for (const p of points) {
    covariance += (p.x - meanX) * (p.y - meanY);
    varianceX += (p.x - meanX) ** 2;
  }
  if (varianceX === 0) throw new RangeError("a slope needs points at two different x");
  return covariance / varianceX;
}

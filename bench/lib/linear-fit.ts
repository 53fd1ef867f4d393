/** Least-squares line through points, and how well it fits: for "does the cost grow linearly". */

export interface LinearFit {
  /** y at x = 0 (fixed cost). */
  intercept: number;
  /** dy/dx (marginal cost). */
  slope: number;
  /** Coefficient of determination: 1 is a perfect line. */
  r2: number;
}

export function linearFit(points: readonly { x: number; y: number }[]): LinearFit {
  const n = points.length;
  if (n < 2) throw new RangeError(`a line needs at least 2 points, got ${n}`);
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
    syy += (p.y - my) ** 2;
  }
  if (sxx === 0) throw new RangeError("a line needs at least two distinct x values");
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const residual = points.reduce((s, p) => s + (p.y - (intercept + slope * p.x)) ** 2, 0);
  return { intercept, slope, r2: syy === 0 ? 1 : 1 - residual / syy };
}

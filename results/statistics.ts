// Statistics of one metric over the seeds of a sweep cell: the mean, the sample standard deviation
// and a 95% confidence interval for the mean from Student's t distribution:
//
//   mean +- t(0.975, n - 1) x s / sqrt(n)
//
// where s is the sample standard deviation (n - 1 in the denominator) and t(0.975, n - 1) is the
// 97.5th percentile of Student's t with n - 1 degrees of freedom. The interval assumes the seeds'
// values are independent draws from a roughly normal distribution. With fewer than two values
// there is no spread to estimate, so the deviation and the interval are null.

import { deviation, mean } from 'd3-array';

export interface MetricStatistics {
  /** Number of non-null values the statistics were computed from. */
  n: number;
  mean: number | null;
  /** Sample standard deviation (n - 1 in the denominator); null when n < 2. */
  sd: number | null;
  ciLow: number | null;
  ciHigh: number | null;
}

/**
 * Returns P(-t < T < t) for T with Student's t distribution and `degreesOfFreedom` (a positive
 * integer) degrees of freedom. Substituting t = sqrt(df) tan(theta) in the density and integrating
 * gives, for integer df, a finite sum of powers of cos(theta), so the result is exact up to
 * rounding. The tests check it against a published t table and the closed forms for df 1 and 2.
 */
export function studentTCentralProbability(t: number, degreesOfFreedom: number): number {
  const theta = Math.atan(Math.abs(t) / Math.sqrt(degreesOfFreedom));
  const cosine = Math.cos(theta);
  const cosineSquared = cosine * cosine;
  const sine = Math.sin(theta);

  if (degreesOfFreedom % 2 === 1) {
    // Odd df: (2 / pi) x (theta + sin cos x (1 + 2/3 cos^2 + 2.4/3.5 cos^4 + ... up to cos^(df-3))).
    if (degreesOfFreedom === 1) return (2 / Math.PI) * theta;
    let term = 1;
    let sum = 1;
    for (let k = 2; k <= degreesOfFreedom - 3; k += 2) {
      term *= (k / (k + 1)) * cosineSquared;
      sum += term;
    }
    return (2 / Math.PI) * (theta + sine * cosine * sum);
  }

  // Even df: sin x (1 + 1/2 cos^2 + 1.3/2.4 cos^4 + ... up to cos^(df-2)).
  let term = 1;
  let sum = 1;
  for (let k = 1; k <= degreesOfFreedom - 3; k += 2) {
    term *= (k / (k + 1)) * cosineSquared;
    sum += term;
  }
  return sine * sum;
}

const quantileCache = new Map<number, number>();

/**
 * Returns t(0.975, df), the two-sided 95% critical value of Student's t with `degreesOfFreedom`
 * (a positive integer) degrees of freedom, found by bisecting `studentTCentralProbability`.
 */
export function studentT975(degreesOfFreedom: number): number {
  if (!Number.isInteger(degreesOfFreedom) || degreesOfFreedom < 1) {
    throw new RangeError(`degrees of freedom must be a positive integer, got ${degreesOfFreedom}`);
  }
  const cached = quantileCache.get(degreesOfFreedom);
  if (cached !== undefined) return cached;

  // t(0.975, 1) = 12.71 is the largest value, so [0, 16] brackets every root.
  let low = 0;
  let high = 16;
  for (let step = 0; step < 100; step++) {
    const middle = (low + high) / 2;
    if (studentTCentralProbability(middle, degreesOfFreedom) < 0.95) low = middle;
    else high = middle;
  }
  const value = (low + high) / 2;
  quantileCache.set(degreesOfFreedom, value);
  return value;
}

/** Computes the statistics of `values`, skipping nulls (a metric a run could not measure). */
export function summarizeValues(values: readonly (number | null)[]): MetricStatistics {
  const present = values.filter((value): value is number => value !== null && Number.isFinite(value));
  const n = present.length;
  if (n === 0) return { n, mean: null, sd: null, ciLow: null, ciHigh: null };

  const average = mean(present) as number;
  if (n < 2) return { n, mean: average, sd: null, ciLow: null, ciHigh: null };

  const sd = deviation(present) as number;
  const halfWidth = (studentT975(n - 1) * sd) / Math.sqrt(n);
  return { n, mean: average, sd, ciLow: average - halfWidth, ciHigh: average + halfWidth };
}

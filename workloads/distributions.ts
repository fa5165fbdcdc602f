// Probability distributions that workload configurations name in JSON, and samplers for them.
// Every distribution here describes a non-negative quantity. The unit belongs to the caller
// (seconds of think time, tokens, turns). Samplers keep no state between draws, because each draw
// uses only fresh uniforms. A caller may therefore switch the generator's substream between draws,
// and every substream still receives correctly distributed values.

import { z } from 'zod';

/** The standard normal quantile at 0.9, used to fit a log-normal to its median and p90. */
const NORMAL_QUANTILE_90 = 1.2815515655446004;
const TWO_PI = 2 * Math.PI;

const constantSchema = z.strictObject({
  kind: z.literal('constant'),
  value: z.number().nonnegative(),
});

const uniformSchema = z
  .strictObject({
    kind: z.literal('uniform'),
    min: z.number().nonnegative(),
    max: z.number().nonnegative(),
  })
  .refine((spec) => spec.max >= spec.min, {
    message: 'uniform max must be greater than or equal to min',
    path: ['max'],
  });

const exponentialSchema = z.strictObject({
  kind: z.literal('exponential'),
  mean: z.number().positive(),
});

// Zod's discriminated unions accept one option per `kind`, so the two log-normal forms share one
// object whose refinement requires exactly one complete pair of parameters.
const lognormalSchema = z
  .strictObject({
    kind: z.literal('lognormal'),
    median: z.number().positive().optional(),
    p90: z.number().positive().optional(),
    mu: z.number().optional(),
    sigma: z.number().positive().optional(),
  })
  .superRefine((spec, context) => {
    const quantileForm = spec.median !== undefined || spec.p90 !== undefined;
    const parameterForm = spec.mu !== undefined || spec.sigma !== undefined;
    if (quantileForm === parameterForm) {
      context.addIssue({
        code: 'custom',
        message: 'lognormal needs either median and p90, or mu and sigma (not both forms)',
      });
    } else if (quantileForm && (spec.median === undefined || spec.p90 === undefined)) {
      context.addIssue({ code: 'custom', message: 'lognormal needs both median and p90' });
    } else if (parameterForm && (spec.mu === undefined || spec.sigma === undefined)) {
      context.addIssue({ code: 'custom', message: 'lognormal needs both mu and sigma' });
    } else if (quantileForm && spec.p90! <= spec.median!) {
      context.addIssue({
        code: 'custom',
        message: 'lognormal p90 must be greater than median',
        path: ['p90'],
      });
    }
  });

const gammaSchema = z.strictObject({
  kind: z.literal('gamma'),
  mean: z.number().positive(),
  /** Coefficient of variation: standard deviation over mean. */
  cv: z.number().positive(),
});

const geometricSchema = z.strictObject({
  kind: z.literal('geometric'),
  mean: z.number().min(1),
});

const empiricalSchema = z
  .strictObject({
    kind: z.literal('empirical'),
    values: z.array(z.number().nonnegative()).min(1),
    weights: z.array(z.number().nonnegative()).optional(),
  })
  .superRefine((spec, context) => {
    if (spec.weights === undefined) {
      return;
    }
    if (spec.weights.length !== spec.values.length) {
      context.addIssue({
        code: 'custom',
        message: `empirical weights has ${spec.weights.length} entries, expected one per value (${spec.values.length})`,
        path: ['weights'],
      });
    } else if (!spec.weights.some((weight) => weight > 0)) {
      context.addIssue({
        code: 'custom',
        message: 'empirical weights must include at least one positive weight',
        path: ['weights'],
      });
    }
  });

// Zipf over the integers 1..n is drawn from a table of n cumulative weights, so n is bounded.
const MAX_ZIPF_VALUES = 1_000_000;

const zipfSchema = z.strictObject({
  kind: z.literal('zipf'),
  /** Number of values: draws are integers 1..n. */
  n: z.number().int().min(1).max(MAX_ZIPF_VALUES),
  /** Exponent s: P(k) is proportional to k^-s. */
  exponent: z.number().nonnegative(),
});

/**
 * A distribution as JSON. `lognormal` takes either `median` and `p90`, or `mu` and `sigma` of the
 * logarithm. `gamma` takes the mean and the coefficient of variation. `geometric` counts trials up
 * to the first success, so its values are integers >= 1. `empirical` draws one of `values` with
 * probability proportional to `weights`, or with equal probability when `weights` is omitted.
 * `zipf` draws integers 1..n with P(k) proportional to k^-exponent.
 */
export const distributionSchema = z.discriminatedUnion('kind', [
  constantSchema,
  uniformSchema,
  exponentialSchema,
  lognormalSchema,
  gammaSchema,
  geometricSchema,
  empiricalSchema,
  zipfSchema,
]);

export type DistributionSpec = z.infer<typeof distributionSchema>;

type LognormalSpec = z.infer<typeof lognormalSchema>;
type EmpiricalSpec = z.infer<typeof empiricalSchema>;
type ZipfSpec = z.infer<typeof zipfSchema>;

/**
 * Creates a sampler that draws from `spec` using uniforms from `rng` (doubles in [0, 1)). The
 * spec must have passed `distributionSchema`. Draws allocate nothing.
 */
export function createSampler(spec: DistributionSpec, rng: () => number): () => number {
  switch (spec.kind) {
    case 'constant': {
      const value = spec.value;
      return () => value;
    }
    case 'uniform': {
      const min = spec.min;
      const width = spec.max - spec.min;
      return () => min + width * rng();
    }
    case 'exponential': {
      const mean = spec.mean;
      // 1 - u lies in (0, 1], so the logarithm is finite.
      return () => -mean * Math.log(1 - rng());
    }
    case 'lognormal': {
      const { mu, sigma } = lognormalParameters(spec);
      return () => Math.exp(mu + sigma * drawStandardNormal(rng));
    }
    case 'gamma':
      return createGammaSampler(spec.mean, spec.cv, rng);
    case 'geometric':
      return createGeometricSampler(spec.mean, rng);
    case 'empirical':
      return createEmpiricalSampler(spec, rng);
    case 'zipf':
      return createEmpiricalSampler(zipfTable(spec), rng);
  }
}

/** Returns the zipf distribution as an empirical table of the values 1..n and their weights k^-s. */
function zipfTable(spec: ZipfSpec): EmpiricalSpec {
  const values = new Array<number>(spec.n);
  const weights = new Array<number>(spec.n);
  for (let k = 1; k <= spec.n; k++) {
    values[k - 1] = k;
    weights[k - 1] = Math.pow(k, -spec.exponent);
  }
  return { kind: 'empirical', values, weights };
}

/** Returns the expected value of `spec`. */
export function distributionMean(spec: DistributionSpec): number {
  switch (spec.kind) {
    case 'constant':
      return spec.value;
    case 'uniform':
      return (spec.min + spec.max) / 2;
    case 'exponential':
    case 'gamma':
    case 'geometric':
      return spec.mean;
    case 'lognormal': {
      const { mu, sigma } = lognormalParameters(spec);
      return Math.exp(mu + (sigma * sigma) / 2);
    }
    case 'empirical': {
      let weightedSum = 0;
      let totalWeight = 0;
      for (let i = 0; i < spec.values.length; i++) {
        const weight = spec.weights === undefined ? 1 : spec.weights[i];
        weightedSum += weight * spec.values[i];
        totalWeight += weight;
      }
      return weightedSum / totalWeight;
    }
    case 'zipf':
      return distributionMean(zipfTable(spec));
  }
}

/** Returns the lowest value a sampler of `spec` can return (0 for the continuous unbounded kinds). */
export function distributionMinimum(spec: DistributionSpec): number {
  switch (spec.kind) {
    case 'constant':
      return spec.value;
    case 'uniform':
      return spec.min;
    case 'exponential':
    case 'lognormal':
    case 'gamma':
      return 0;
    case 'geometric':
      return 1;
    case 'empirical': {
      let minimum = Infinity;
      for (let i = 0; i < spec.values.length; i++) {
        const weight = spec.weights === undefined ? 1 : spec.weights[i];
        if (weight > 0 && spec.values[i] < minimum) {
          minimum = spec.values[i];
        }
      }
      return minimum;
    }
    case 'zipf':
      return 1;
  }
}

/** Formats `spec` as a label with its parameters, such as `lognormal(median=116, p90=1372)`. */
export function describeDistribution(spec: DistributionSpec): string {
  switch (spec.kind) {
    case 'constant':
      return `constant(${spec.value})`;
    case 'uniform':
      return `uniform(min=${spec.min}, max=${spec.max})`;
    case 'exponential':
      return `exponential(mean=${spec.mean})`;
    case 'lognormal':
      return spec.median !== undefined
        ? `lognormal(median=${spec.median}, p90=${spec.p90})`
        : `lognormal(mu=${spec.mu}, sigma=${spec.sigma})`;
    case 'gamma':
      return `gamma(mean=${spec.mean}, cv=${spec.cv})`;
    case 'geometric':
      return `geometric(mean=${spec.mean})`;
    case 'empirical':
      return describeEmpirical(spec);
    case 'zipf':
      return `zipf(n=${spec.n}, exponent=${spec.exponent})`;
  }
}

// Labels list up to this many values; longer tables are summarised by their size and mean.
const MAX_LISTED_VALUES = 8;

function describeEmpirical(spec: EmpiricalSpec): string {
  if (spec.values.length > MAX_LISTED_VALUES) {
    return `empirical(${spec.values.length} values, mean=${distributionMean(spec)})`;
  }
  const values = `values=[${spec.values.join(', ')}]`;
  return spec.weights === undefined
    ? `empirical(${values})`
    : `empirical(${values}, weights=[${spec.weights.join(', ')}])`;
}

/**
 * Returns mu and sigma of the underlying normal. For the quantile form, mu = ln(median) and
 * sigma = (ln(p90) - ln(median)) / z_0.9, because the log of a log-normal draw is normal.
 */
function lognormalParameters(spec: LognormalSpec): { mu: number; sigma: number } {
  if (spec.median !== undefined && spec.p90 !== undefined) {
    const mu = Math.log(spec.median);
    return { mu, sigma: (Math.log(spec.p90) - mu) / NORMAL_QUANTILE_90 };
  }
  return { mu: spec.mu!, sigma: spec.sigma! };
}

// Box-Muller transform. It discards the second normal of each pair rather than keeping it for the
// next call, so that draws stay stateless (see the file header).
function drawStandardNormal(rng: () => number): number {
  const radius = Math.sqrt(-2 * Math.log(1 - rng()));
  return radius * Math.cos(TWO_PI * rng());
}

/**
 * Gamma with the given mean and coefficient of variation: shape k = 1 / cv^2 and scale
 * mean * cv^2. Draws use Marsaglia and Tsang's squeeze method for k >= 1. For k < 1 they
 * use the boost Gamma(k) = Gamma(k + 1) * U^(1/k).
 */
function createGammaSampler(mean: number, cv: number, rng: () => number): () => number {
  const shape = 1 / (cv * cv);
  const scale = mean * cv * cv;
  const boosted = shape < 1;
  const d = (boosted ? shape + 1 : shape) - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  const inverseShape = 1 / shape;

  return () => {
    let draw: number;
    for (;;) {
      const x = drawStandardNormal(rng);
      const base = 1 + c * x;
      if (base <= 0) {
        continue;
      }
      const v = base * base * base;
      const u = rng();
      const xSquared = x * x;
      if (u < 1 - 0.0331 * xSquared * xSquared || Math.log(u) < 0.5 * xSquared + d * (1 - v + Math.log(v))) {
        draw = d * v;
        break;
      }
    }
    if (boosted) {
      draw *= Math.pow(rng(), inverseShape);
    }
    return draw * scale;
  };
}

/**
 * Geometric on {1, 2, ...} with success probability p = 1 / mean, by inversion:
 * 1 + floor(ln(U) / ln(1 - p)) with U uniform in (0, 1].
 */
function createGeometricSampler(mean: number, rng: () => number): () => number {
  if (mean === 1) {
    return () => 1;
  }
  const logFailure = Math.log(1 - 1 / mean);
  return () => 1 + Math.floor(Math.log(1 - rng()) / logFailure);
}

// Inversion over the cumulative weights by binary search.
function createEmpiricalSampler(spec: EmpiricalSpec, rng: () => number): () => number {
  const count = spec.values.length;
  const values = Float64Array.from(spec.values);
  const cumulative = new Float64Array(count);
  let total = 0;
  let lastPositive = 0;
  for (let i = 0; i < count; i++) {
    const weight = spec.weights === undefined ? 1 : spec.weights[i];
    total += weight;
    cumulative[i] = total;
    if (weight > 0) {
      lastPositive = i;
    }
  }

  return () => {
    const target = rng() * total;
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] > target) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    // Rounding can put target at the total; the last value with positive weight is then the draw.
    return cumulative[low] > target ? values[low] : values[lastPositive];
  };
}

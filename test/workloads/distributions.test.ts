import { describe, expect, it } from 'vitest';

import {
  createSampler,
  describeDistribution,
  distributionMean,
  distributionMinimum,
  distributionSchema,
  type DistributionSpec,
} from '../../workloads/distributions.js';
import { createRng } from '../../workloads/random.js';

// Every statistical check allows 4 standard errors of its estimator at this sample size, so a
// correct sampler fails one check with probability about 6e-5.
const DRAW_COUNT = 200_000;

function sample(input: unknown, seed: number | string = 1, count = DRAW_COUNT): Float64Array {
  const spec = distributionSchema.parse(input);
  const sampler = createSampler(spec, createRng(seed, 'test'));
  const draws = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    draws[i] = sampler();
  }
  return draws;
}

/** Checks the sample mean against `mean`, given the distribution's standard deviation. */
function expectMean(draws: Float64Array, mean: number, standardDeviation: number): void {
  let sum = 0;
  for (const draw of draws) {
    sum += draw;
  }
  const standardError = standardDeviation / Math.sqrt(draws.length);
  expect(Math.abs(sum / draws.length - mean)).toBeLessThanOrEqual(4 * standardError);
}

/** Checks that the fraction of draws at or below `x` is `probability` (a binomial proportion). */
function expectCdf(draws: Float64Array, x: number, probability: number): void {
  let below = 0;
  for (const draw of draws) {
    if (draw <= x) {
      below++;
    }
  }
  const standardError = Math.sqrt((probability * (1 - probability)) / draws.length);
  expect(Math.abs(below / draws.length - probability)).toBeLessThanOrEqual(4 * standardError);
}

function minimumOf(draws: Float64Array): number {
  let minimum = Infinity;
  for (const draw of draws) {
    minimum = Math.min(minimum, draw);
  }
  return minimum;
}

function maximumOf(draws: Float64Array): number {
  let maximum = -Infinity;
  for (const draw of draws) {
    maximum = Math.max(maximum, draw);
  }
  return maximum;
}

describe('constant', () => {
  it('always returns its value', () => {
    const draws = sample({ kind: 'constant', value: 7 }, 1, 1000);
    expect(draws.every((draw) => draw === 7)).toBe(true);
  });
});

describe('uniform', () => {
  const spec = { kind: 'uniform', min: 2, max: 10 };

  it('matches mean, median and p90', () => {
    const draws = sample(spec);
    expectMean(draws, 6, 8 / Math.sqrt(12));
    expectCdf(draws, 6, 0.5);
    expectCdf(draws, 2 + 0.9 * 8, 0.9);
  });

  it('stays within [min, max)', () => {
    const draws = sample(spec);
    expect(minimumOf(draws)).toBeGreaterThanOrEqual(2);
    expect(maximumOf(draws)).toBeLessThan(10);
  });
});

describe('exponential', () => {
  it('matches mean, median and p90', () => {
    const draws = sample({ kind: 'exponential', mean: 3 });
    expectMean(draws, 3, 3);
    expectCdf(draws, 3 * Math.LN2, 0.5);
    expectCdf(draws, 3 * Math.LN10, 0.9);
  });
});

describe('lognormal', () => {
  it('matches median and p90 in the quantile form', () => {
    // The think-time fit to BurstGPT sessions: median 116 s, p90 1,372 s.
    const draws = sample({ kind: 'lognormal', median: 116, p90: 1372 });
    expectCdf(draws, 116, 0.5);
    expectCdf(draws, 1372, 0.9);
  });

  it('matches mean and quantiles in the mu-sigma form', () => {
    const mu = 1;
    const sigma = 0.5;
    const mean = Math.exp(mu + (sigma * sigma) / 2);
    const standardDeviation = mean * Math.sqrt(Math.exp(sigma * sigma) - 1);
    const draws = sample({ kind: 'lognormal', mu, sigma });
    expectMean(draws, mean, standardDeviation);
    expectCdf(draws, Math.exp(mu), 0.5);
    expectCdf(draws, Math.exp(mu + 1.2815515655446004 * sigma), 0.9);
  });

  it('reports the closed-form mean', () => {
    const sigma = Math.log(1372 / 116) / 1.2815515655446004;
    const mean = distributionMean(distributionSchema.parse({ kind: 'lognormal', median: 116, p90: 1372 }));
    expect(mean).toBeCloseTo(116 * Math.exp((sigma * sigma) / 2), 9);
  });
});

describe('gamma', () => {
  it('matches mean and Erlang CDF for shape 4', () => {
    // cv = 0.5 gives shape 4 and scale 1.25; an integer shape has the Erlang CDF
    // 1 - sum_{n<4} e^(-x/scale) (x/scale)^n / n!.
    const draws = sample({ kind: 'gamma', mean: 5, cv: 0.5 });
    expectMean(draws, 5, 2.5);
    const rate = 5 / 1.25;
    let tail = 0;
    let term = 1;
    for (let n = 0; n < 4; n++) {
      tail += term;
      term *= rate / (n + 1);
    }
    expectCdf(draws, 5, 1 - Math.exp(-rate) * tail);
  });

  it('matches the exponential at cv 1', () => {
    const draws = sample({ kind: 'gamma', mean: 2, cv: 1 });
    expectMean(draws, 2, 2);
    expectCdf(draws, 2 * Math.LN2, 0.5);
    expectCdf(draws, 2 * Math.LN10, 0.9);
  });

  it('matches mean for shape below 1', () => {
    // cv = 2 gives shape 0.25, which takes the boosted path.
    const draws = sample({ kind: 'gamma', mean: 2, cv: 2 });
    expectMean(draws, 2, 4);
    expect(minimumOf(draws)).toBeGreaterThanOrEqual(0);
  });
});

describe('geometric', () => {
  it('matches mean, median and p90 on integers >= 1', () => {
    const mean = 4.8;
    const failure = 1 - 1 / mean;
    const draws = sample({ kind: 'geometric', mean });
    expectMean(draws, mean, Math.sqrt(failure) * mean);
    // P(K <= k) = 1 - (1 - p)^k; the median is 3 and the p90 is 10 at this mean.
    expectCdf(draws, 3, 1 - failure ** 3);
    expectCdf(draws, 10, 1 - failure ** 10);
    expect(minimumOf(draws)).toBe(1);
    expect(draws.every((draw) => Number.isInteger(draw))).toBe(true);
  });

  it('returns 1 at mean 1', () => {
    expect(sample({ kind: 'geometric', mean: 1 }, 1, 100).every((draw) => draw === 1)).toBe(true);
  });
});

describe('empirical', () => {
  it('draws values in proportion to weights', () => {
    const draws = sample({ kind: 'empirical', values: [1, 2, 10], weights: [1, 0, 3] });
    // Mean 7.75; variance E[X^2] - mean^2 = (1 + 300) / 4 - 7.75^2.
    expectMean(draws, 7.75, Math.sqrt(301 / 4 - 7.75 ** 2));
    expectCdf(draws, 1, 0.25);
    expect(draws.includes(2)).toBe(false);
  });

  it('weighs values equally without weights', () => {
    const draws = sample({ kind: 'empirical', values: [4, 8] });
    expectCdf(draws, 4, 0.5);
    expect(distributionMean(distributionSchema.parse({ kind: 'empirical', values: [4, 8] }))).toBe(6);
  });
});

describe('createSampler determinism', () => {
  const specs: DistributionSpec[] = [
    { kind: 'uniform', min: 0, max: 1 },
    { kind: 'exponential', mean: 1 },
    { kind: 'lognormal', median: 116, p90: 1372 },
    { kind: 'gamma', mean: 3, cv: 0.7 },
    { kind: 'geometric', mean: 4.8 },
    { kind: 'empirical', values: [1, 2, 3] },
  ];

  for (const spec of specs) {
    it(`repeats ${spec.kind} draws for a fixed seed`, () => {
      expect(sample(spec, 'seed-a', 1000)).toEqual(sample(spec, 'seed-a', 1000));
      expect(sample(spec, 'seed-b', 1000)).not.toEqual(sample(spec, 'seed-a', 1000));
    });
  }
});

describe('distributionSchema', () => {
  const invalid: [string, unknown][] = [
    ['unknown kind', { kind: 'pareto', alpha: 1 }],
    ['unknown key', { kind: 'constant', value: 1, unit: 's' }],
    ['negative constant', { kind: 'constant', value: -1 }],
    ['uniform max below min', { kind: 'uniform', min: 5, max: 4 }],
    ['zero exponential mean', { kind: 'exponential', mean: 0 }],
    ['lognormal with both forms', { kind: 'lognormal', median: 1, p90: 2, mu: 0, sigma: 1 }],
    ['lognormal with half a pair', { kind: 'lognormal', median: 1 }],
    ['lognormal p90 below median', { kind: 'lognormal', median: 10, p90: 5 }],
    ['lognormal without parameters', { kind: 'lognormal' }],
    ['gamma without cv', { kind: 'gamma', mean: 1 }],
    ['geometric mean below 1', { kind: 'geometric', mean: 0.5 }],
    ['empty empirical', { kind: 'empirical', values: [] }],
    ['empirical weights of wrong length', { kind: 'empirical', values: [1, 2], weights: [1] }],
    ['empirical weights all zero', { kind: 'empirical', values: [1, 2], weights: [0, 0] }],
  ];

  for (const [name, input] of invalid) {
    it(`rejects ${name}`, () => {
      expect(distributionSchema.safeParse(input).success).toBe(false);
    });
  }
});

describe('describeDistribution', () => {
  const cases: [DistributionSpec, string][] = [
    [{ kind: 'constant', value: 3 }, 'constant(3)'],
    [{ kind: 'uniform', min: 1, max: 2 }, 'uniform(min=1, max=2)'],
    [{ kind: 'exponential', mean: 0.5 }, 'exponential(mean=0.5)'],
    [{ kind: 'lognormal', median: 116, p90: 1372 }, 'lognormal(median=116, p90=1372)'],
    [{ kind: 'lognormal', mu: 1, sigma: 0.5 }, 'lognormal(mu=1, sigma=0.5)'],
    [{ kind: 'gamma', mean: 5, cv: 0.5 }, 'gamma(mean=5, cv=0.5)'],
    [{ kind: 'geometric', mean: 4.8 }, 'geometric(mean=4.8)'],
    [{ kind: 'empirical', values: [1, 2], weights: [3, 1] }, 'empirical(values=[1, 2], weights=[3, 1])'],
    [{ kind: 'empirical', values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }, 'empirical(10 values, mean=5.5)'],
  ];

  for (const [spec, label] of cases) {
    it(`labels ${label}`, () => {
      expect(describeDistribution(spec)).toBe(label);
    });
  }
});

describe('distributionMinimum', () => {
  it('returns the lowest possible value', () => {
    expect(distributionMinimum({ kind: 'geometric', mean: 3 })).toBe(1);
    expect(distributionMinimum({ kind: 'uniform', min: 2, max: 3 })).toBe(2);
    expect(distributionMinimum({ kind: 'lognormal', median: 1, p90: 2 })).toBe(0);
    expect(distributionMinimum({ kind: 'empirical', values: [1, 5], weights: [0, 1] })).toBe(5);
  });
});

import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { quantileSorted } from 'd3-array';
import { Histogram } from '../../results/histogram.js';

describe('Histogram', () => {
  it('percentiles lie within 0.05% of the exact order statistic', () => {
    const random = seedrandom('histogram');
    const histogram = new Histogram();
    const values: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      // Latencies from 1 us to about 10 s, log-uniform, in integer ns.
      const value = Math.round(10 ** (3 + 7 * random()));
      values.push(value);
      histogram.record(value);
    }
    values.sort((a, b) => a - b);
    for (const quantile of [0.5, 0.9, 0.99, 0.999]) {
      // Nearest rank: the ceil(q n)-th smallest value.
      const exact = values[Math.ceil(quantile * values.length) - 1];
      const reported = histogram.quantile(quantile);
      expect(Math.abs(reported - exact) / exact).toBeLessThanOrEqual(0.0005);
    }
    expect(histogram.max).toBe(values[values.length - 1]);
    expect(histogram.min).toBe(values[0]);
    expect(histogram.mean).toBeCloseTo(values.reduce((sum, value) => sum + value, 0) / values.length, 6);
    expect(quantileSorted(values, 0.5)).toBeGreaterThan(0);
  });

  it('returns the value itself for one sample', () => {
    const histogram = new Histogram();
    histogram.record(123_456_789);
    expect(histogram.quantile(0.5)).toBe(123_456_789);
    expect(histogram.quantile(0.999)).toBe(123_456_789);
  });

  it('returns NaN when empty', () => {
    expect(new Histogram().quantile(0.5)).toBeNaN();
  });
});

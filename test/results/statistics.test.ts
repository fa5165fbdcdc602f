import { describe, expect, it } from 'vitest';
import { studentT975, studentTCentralProbability, summarizeValues } from '../../results/statistics.js';

// Two-sided 95% critical values of Student's t (column p = 0.025, B = 95%), to 3 decimals, from
// the table "Critical values for t-distribution" at
// https://hugoquene.github.io/QMS-EN/app-criticaltvalues.html.
const T_TABLE: [number, number][] = [
  [1, 12.706],
  [2, 4.303],
  [3, 3.182],
  [4, 2.776],
  [5, 2.571],
  [9, 2.262],
  [10, 2.228],
  [29, 2.045],
  [30, 2.042],
];

describe('studentT975', () => {
  it.each(T_TABLE)('matches the t table at %i degrees of freedom', (degreesOfFreedom, expected) => {
    expect(studentT975(degreesOfFreedom)).toBeCloseTo(expected, 3);
  });

  it('inverts the central probability', () => {
    for (const degreesOfFreedom of [1, 2, 7, 8, 50]) {
      expect(studentTCentralProbability(studentT975(degreesOfFreedom), degreesOfFreedom)).toBeCloseTo(0.95, 12);
    }
  });

  it('rejects invalid degrees of freedom', () => {
    expect(() => studentT975(0)).toThrow(RangeError);
    expect(() => studentT975(2.5)).toThrow(/positive integer/);
  });
});

describe('studentTCentralProbability', () => {
  it('gives the Cauchy closed form at 1 degree of freedom', () => {
    // With one degree of freedom t is Cauchy: P(|T| < 1) = 2 atan(1) / pi = 0.5.
    expect(studentTCentralProbability(1, 1)).toBeCloseTo(0.5, 15);
  });

  it('gives the closed form at 2 degrees of freedom', () => {
    // P(|T| < t) = t / sqrt(2 + t^2) with two degrees of freedom.
    expect(studentTCentralProbability(1.5, 2)).toBeCloseTo(1.5 / Math.sqrt(2 + 2.25), 15);
  });
});

describe('summarizeValues', () => {
  it('computes mean, deviation and interval', () => {
    const statistics = summarizeValues([2, 4, 6]);
    // mean 4, s = sqrt(((2-4)^2 + 0 + (6-4)^2) / 2) = 2, half-width = t(0.975, 2) x 2 / sqrt(3).
    const half = (studentT975(2) * 2) / Math.sqrt(3);
    expect(statistics.n).toBe(3);
    expect(statistics.mean).toBe(4);
    expect(statistics.sd).toBe(2);
    expect(statistics.ciLow).toBeCloseTo(4 - half, 12);
    expect(statistics.ciHigh).toBeCloseTo(4 + half, 12);
  });

  it('gives no spread for one value', () => {
    expect(summarizeValues([7])).toEqual({ n: 1, mean: 7, sd: null, ciLow: null, ciHigh: null });
  });

  it('skips null values', () => {
    expect(summarizeValues([null, 1, null, 3]).n).toBe(2);
    expect(summarizeValues([null, 1, null, 3]).mean).toBe(2);
  });

  it('returns nulls without values', () => {
    expect(summarizeValues([null])).toEqual({ n: 0, mean: null, sd: null, ciLow: null, ciHigh: null });
  });
});
